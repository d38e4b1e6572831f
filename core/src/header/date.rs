//! HTTP-date (RFC 9110 §5.6.7) in all three forms, as Unix seconds.
//!
//! Written here rather than taken from `httpdate` because that crate needs `std` and resolves
//! RFC 850 two-digit years with a fixed pivot instead of the RFC's 50-year rule.
//!
//! ```
//! use headroom_core::header::parse_http_date;
//! assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT", None), Some(784111777));
//! assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT", None), Some(784111777));
//! assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994", None), Some(784111777));
//! assert_eq!(parse_http_date(b"sun, 06 nov 1994 08:49:37 gmt", None), None); // case-sensitive
//! ```

const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const LONG_DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses an HTTP-date into Unix seconds.
///
/// `now_unix` resolves RFC 850 two-digit years: a year more than 50 years in the future means
/// the most recent past year with those digits (RFC 9110 §5.6.7). Without it, `70..=99` mean
/// 19xx and `00..=69` mean 20xx. The weekday must be a valid name but is not cross-checked.
pub fn parse_http_date(s: &[u8], now_unix: Option<u64>) -> Option<i64> {
    let s = trim_ows(s);
    imf_fixdate(s)
        .or_else(|| rfc850(s, now_unix))
        .or_else(|| asctime(s))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(s: &[u8]) -> Option<i64> {
    if s.len() != 29 || !DAYS.contains(&s.get(..3)?) || s.get(3..5)? != b", " {
        return None;
    }
    let day = digits(s.get(5..7)?)?;
    let month = month(s.get(7..12)?, b' ', b' ')?;
    let year = digits(s.get(12..16)?)?;
    let secs = time_of_day(s.get(16..)?, b" GMT")?;
    civil(year, month, day, secs)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850(s: &[u8], now_unix: Option<u64>) -> Option<i64> {
    let comma = s.iter().position(|&b| b == b',')?;
    if !LONG_DAYS.contains(&s.get(..comma)?) {
        return None;
    }
    let s = s.get(comma..)?;
    if s.len() != 24 || s.get(..2)? != b", " {
        return None;
    }
    let day = digits(s.get(2..4)?)?;
    let month = month(s.get(4..9)?, b'-', b'-')?;
    let yy = digits(s.get(9..11)?)?;
    let secs = time_of_day(s.get(11..)?, b" GMT")?;
    civil(full_year(yy, now_unix), month, day, secs)
}

/// `Sun Nov  6 08:49:37 1994` (day padded with a space)
fn asctime(s: &[u8]) -> Option<i64> {
    if s.len() != 24 || !DAYS.contains(&s.get(..3)?) {
        return None;
    }
    let month = month(s.get(3..8)?, b' ', b' ')?;
    let day = match s.get(8..10)? {
        [b' ', d] => digits(&[*d])?,
        two => digits(two)?,
    };
    let secs = time_of_day(s.get(10..20)?, b" ")?;
    let year = digits(s.get(20..24)?)?;
    civil(year, month, day, secs)
}

/// ` Nov ` with the given separators → 1..=12.
fn month(s: &[u8], before: u8, after: u8) -> Option<i32> {
    let [b, m0, m1, m2, a] = *s else { return None };
    if b != before || a != after {
        return None;
    }
    let m = [m0, m1, m2];
    MONTHS
        .iter()
        .position(|name| **name == m)
        .map(|i| i as i32 + 1)
}

/// ` 08:49:37` followed by `suffix`; returns seconds into the day.
fn time_of_day(s: &[u8], suffix: &[u8]) -> Option<i32> {
    if s.len() != 9 + suffix.len() || s.first()? != &b' ' || s.get(9..)? != suffix {
        return None;
    }
    if s.get(3)? != &b':' || s.get(6)? != &b':' {
        return None;
    }
    let (h, m, sec) = (
        digits(s.get(1..3)?)?,
        digits(s.get(4..6)?)?,
        digits(s.get(7..9)?)?,
    );
    // 60 admits a leap second, as RFC 9110 allows.
    (h < 24 && m < 60 && sec <= 60).then_some(h * 3600 + m * 60 + sec)
}

/// At most four digits (every caller slices two or four), so `i32` arithmetic: a device's
/// 32-bit core does it in registers, without 64-bit division routines.
fn digits(s: &[u8]) -> Option<i32> {
    if s.is_empty() || s.len() > 4 {
        return None;
    }
    s.iter().try_fold(0i32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
    })
}

fn full_year(yy: i32, now_unix: Option<u64>) -> i32 {
    let Some(now) = now_unix else {
        return if yy >= 70 { 1900 + yy } else { 2000 + yy };
    };
    let this_year = year_of(i64::try_from(now).unwrap_or(i64::MAX));
    let century = this_year - this_year.rem_euclid(100);
    let candidate = century + yy;
    if candidate > this_year + 50 {
        candidate - 100
    } else {
        candidate
    }
}

/// Unix seconds for a civil date, rejecting impossible days (31 Feb).
fn civil(year: i32, month: i32, day: i32, secs: i32) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *month_len.get(usize::try_from(month - 1).ok()?)?;
    if day < 1 || day > max_day {
        return None;
    }
    Some(i64::from(days_from_civil(year, month, day)) * 86_400 + i64::from(secs))
}

/// Howard Hinnant's days-from-civil: days since 1970-01-01 in the proleptic Gregorian calendar.
/// Years are at most four digits, so every intermediate fits `i32`.
pub(crate) fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a Unix time from 1970 to year ~19,000 (clamped to that range).
fn year_of(unix: i64) -> i32 {
    // Inverse of days_from_civil, year only. 86,400 = 128 × 675: a shift, then a 32-bit division.
    let days = u32::try_from(unix.clamp(0, (1 << 39) - 1) >> 7).unwrap_or(u32::MAX) / 675;
    let z = i32::try_from(days).unwrap_or(i32::MAX) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i32::from(month <= 2)
}

pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_6_1994: i64 = 784_111_777;

    #[test]
    fn rfc850_two_digit_years_follow_the_fifty_year_rule() {
        let date = b"Sunday, 06-Nov-94 08:49:37 GMT";
        // Seen in 2026: 2094 is more than 50 years ahead, so 1994.
        let now_2026 = 1_795_000_000;
        assert_eq!(parse_http_date(date, Some(now_2026)), Some(NOV_6_1994));
        // "30" seen in 2026 is 2030 (4 years ahead); "77" would be 2077, 51 years ahead, so 1977.
        let d30 = parse_http_date(b"Wednesday, 06-Nov-30 08:49:37 GMT", Some(now_2026)).unwrap();
        assert_eq!(year_of(d30), 2030);
        let d77 = parse_http_date(b"Saturday, 06-Nov-77 08:49:37 GMT", Some(now_2026)).unwrap();
        assert_eq!(year_of(d77), 1977);
        let d76 = parse_http_date(b"Friday, 06-Nov-76 08:49:37 GMT", Some(now_2026)).unwrap();
        assert_eq!(
            year_of(d76),
            2076,
            "exactly 50 years ahead is not *more* than 50"
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            &b"Sun, 6 Nov 1994 08:49:37 GMT"[..],
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 31 Feb 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Xyz 1994 08:49:37 GMT",
            b"Funday, 06-Nov-94 08:49:37 GMT",
            b"Sun Nov 6 08:49:37 1994",
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
    }

    #[test]
    fn year_of_inverts_days_from_civil() {
        for y in [1970, 1999, 2000, 2024, 2100, 2400, 9999] {
            for (m, d) in [(1, 1), (2, 28), (12, 31)] {
                let unix = i64::from(days_from_civil(y, m, d)) * 86_400 + 3_600;
                assert_eq!(year_of(unix), y);
            }
        }
    }
}
