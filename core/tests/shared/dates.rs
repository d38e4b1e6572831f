//! HTTP-date bodies (RFC 9110 §5.6.7), run on the host (`tests/http_date.rs`) and on a
//! Cortex-M4 under QEMU (`core/on-target`).

use headroom_core::UnixTime;
use headroom_core::header::parse_http_date;

pub const NOV_6_1994: i64 = 784_111_777;

pub const NOW_2026: u64 = 1_795_000_000; // 2026-11-18

pub fn at(s: &str, now: Option<u64>) -> Option<i64> {
    let now = now.map(|n| UnixTime::from_secs(n as i64));
    parse_http_date(s.as_bytes(), now).map(UnixTime::as_secs)
}

pub fn rfc850_two_digit_years_follow_the_fifty_year_rule() {
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

pub fn without_a_clock_00_to_69_are_20xx_and_70_to_99_are_19xx() {
    for (rfc850, imf) in [
        (
            "Monday, 31-Dec-00 23:59:59 GMT",
            "Mon, 31 Dec 2000 23:59:59 GMT",
        ),
        (
            "Monday, 31-Dec-69 23:59:59 GMT",
            "Mon, 31 Dec 2069 23:59:59 GMT",
        ),
        (
            "Monday, 31-Dec-70 23:59:59 GMT",
            "Mon, 31 Dec 1970 23:59:59 GMT",
        ),
        (
            "Monday, 31-Dec-99 23:59:59 GMT",
            "Mon, 31 Dec 1999 23:59:59 GMT",
        ),
    ] {
        assert_eq!(at(rfc850, None), at(imf, None), "{rfc850}");
    }
}

pub fn rejects_malformed_dates() {
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
        // Weekday names: only the seven, whole, in their own case and form.
        b"Xyz, 06 Nov 1994 08:49:37 GMT",
        b"Day, 06 Nov 1994 08:49:37 GMT",
        b"sun, 06 Nov 1994 08:49:37 GMT",
        b"Mond, 06-Nov-94 08:49:37 GMT",
        b"Sundays, 06-Nov-94 08:49:37 GMT",
        b"Sundaz, 06-Nov-94 08:49:37 GMT",
        b"unday, 06-Nov-94 08:49:37 GMT",
        b"Sun Day, 06-Nov-94 08:49:37 GMT",
        b"day, 06 Nov 1994 08:49:37 GMT",
        b"Mo, 06 Nov 1994 08:49:37 GMT",
        b"MondayTuesday, 06-Nov-94 08:49:37 GMT",
        b", 06-Nov-94 08:49:37 GMT",
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
            core::str::from_utf8(bad)
        );
    }
    // Surrounding whitespace is OWS, not part of the date.
    assert_eq!(
        at(" Sun, 06 Nov 1994 08:49:37 GMT\t", None),
        Some(NOV_6_1994)
    );
}
