//! HTTP-dates in all three forms (RFC 9110 §5.6.7): the 50-year rule, rejects, and a round trip
//! of every instant from 1970 to 9999 through each form.
use headroom_core::UnixTime;
use headroom_core::header::parse_http_date;
use proptest::prelude::*;

const NOV_6_1994: i64 = 784_111_777;
const NOW_2026: u64 = 1_795_000_000; // 2026-11-18

fn at(s: &str, now: Option<u64>) -> Option<i64> {
    let now = now.map(|n| UnixTime::from_secs(n as i64));
    parse_http_date(s.as_bytes(), now).map(UnixTime::as_secs)
}

#[test]
fn rfc850_two_digit_years_follow_the_fifty_year_rule() {
    let now = Some(NOW_2026);
    assert_eq!(at("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(NOV_6_1994));
    let cases = [
        // 4 years ahead: 2030.
        (
            "Wednesday, 06-Nov-30 08:49:37 GMT",
            "Wed, 06 Nov 2030 08:49:37 GMT",
        ),
        // Less than 50 years ahead (by 12 days): 2076.
        (
            "Friday, 06-Nov-76 08:49:37 GMT",
            "Fri, 06 Nov 2076 08:49:37 GMT",
        ),
        // More than 50 years ahead (by 13 days): the most recent past 76, 1976.
        (
            "Tuesday, 01-Dec-76 08:49:37 GMT",
            "Wed, 01 Dec 1976 08:49:37 GMT",
        ),
        (
            "Saturday, 06-Nov-77 08:49:37 GMT",
            "Sun, 06 Nov 1977 08:49:37 GMT",
        ),
    ];
    for (rfc850, imf) in cases {
        assert_eq!(at(rfc850, now), at(imf, None), "{rfc850}");
    }
}

#[test]
fn without_a_clock_00_to_69_are_20xx_and_70_to_99_are_19xx() {
    for (yy, year) in [(0, 2000), (69, 2069), (70, 1970), (99, 1999)] {
        let rfc850 = format!("Monday, 31-Dec-{yy:02} 23:59:59 GMT");
        let imf = format!("Mon, 31 Dec {year} 23:59:59 GMT");
        assert_eq!(at(&rfc850, None), at(&imf, None), "{rfc850}");
    }
}

#[test]
fn rejects_malformed_dates() {
    for bad in [
        &b"Sun, 6 Nov 1994 08:49:37 GMT"[..],
        b"Sun, 06 Nov 1994 08:49:37 UTC",
        b"Sun, 31 Feb 1994 08:49:37 GMT",
        b"Sun, 29 Feb 1900 08:49:37 GMT",
        b"Sun, 00 Nov 1994 08:49:37 GMT",
        b"Sun, 06 Nov 1994 24:00:00 GMT",
        b"Sun, 06 Nov 1994 08:60:00 GMT",
        b"Sun, 06 Nov 1994 08:49:61 GMT",
        b"Sun, 06 Xyz 1994 08:49:37 GMT",
        b"Sun, 06 nov 1994 08:49:37 GMT",
        b"Sun,  06 Nov 1994 08:49:37 GMT",
        b"Sun, 06 Nov 1994 08:49:3 GMT",
        b"Sun, 06 Nov 1994 08-49:37 GMT",
        b"Sun, 0x Nov 1994 08:49:37 GMT",
        b"Sunday, 06 Nov 1994 08:49:37 GMT",
        b"Sun, 06-Nov-94 08:49:37 GMT",
        b"Funday, 06-Nov-94 08:49:37 GMT",
        b"Sun Nov 6 08:49:37 1994",
        b"Sun Nov _6 08:49:37 1994",
        b"Sun Nov  6 08:49:37 94",
        b"Sun\tNov  6 08:49:37 1994",
        b"Sun",
        b"",
        b"12",
    ] {
        assert_eq!(
            parse_http_date(bad, None),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // Surrounding whitespace is OWS, not part of the date.
    assert_eq!(
        at(" Sun, 06 Nov 1994 08:49:37 GMT\t", None),
        Some(NOV_6_1994)
    );
}

/// Civil date of Unix days (Hinnant's civil_from_days), written independently of the parser.
fn civil_from_days(z: i64) -> (i64, usize, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as usize, d)
}

proptest! {
    /// Every instant from 1970 to 9999, written in each of the three forms, reads back.
    #[test]
    fn every_form_round_trips(t in 0i64..=253_402_300_799) {
        const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const LONG: [&str; 7] =
            ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
        const MON: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let wd = days.rem_euclid(7) as usize;
        let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mon = MON[m - 1];
        let imf = format!("{}, {d:02} {mon} {y} {hh:02}:{mm:02}:{ss:02} GMT", WD[wd]);
        let rfc850 = format!("{}, {d:02}-{mon}-{:02} {hh:02}:{mm:02}:{ss:02} GMT", LONG[wd], y % 100);
        let asctime = format!("{} {mon} {d:>2} {hh:02}:{mm:02}:{ss:02} {y}", WD[wd]);
        prop_assert_eq!(at(&imf, None), Some(t), "{}", imf);
        prop_assert_eq!(at(&asctime, None), Some(t), "{}", asctime);
        // Seen at the instant itself, a two-digit year is that instant's year.
        prop_assert_eq!(at(&rfc850, Some(t as u64)), Some(t), "{}", rfc850);
        // The standard's own example's formatter agrees on IMF-fixdate.
        let std_time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t as u64);
        if y <= 9999 {
            prop_assert_eq!(httpdate::fmt_http_date(std_time), imf);
        }
    }
}
