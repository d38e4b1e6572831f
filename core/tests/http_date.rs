//! HTTP-dates in all three forms (RFC 9110 §5.6.7): the 50-year rule, rejects, and a round trip
//! of every instant from 1970 to 9999 through each form.
// The shared bodies use some of these imports, and which depends on the features.
#![allow(unused_imports)]

use proptest::prelude::*;

#[path = "shared/mod.rs"]
mod shared;
#[allow(unused_imports)]
use shared::dates::*;

#[test]
fn rfc850_two_digit_years_follow_the_fifty_year_rule() {
    shared::dates::rfc850_two_digit_years_follow_the_fifty_year_rule()
}

#[test]
fn without_a_clock_00_to_69_are_20xx_and_70_to_99_are_19xx() {
    shared::dates::without_a_clock_00_to_69_are_20xx_and_70_to_99_are_19xx()
}

#[test]
fn rejects_malformed_dates() {
    shared::dates::rejects_malformed_dates()
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
