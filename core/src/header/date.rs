//! HTTP-date (RFC 9110 §5.6.7) in all three forms, as Unix seconds.
//!
//! Written here rather than taken from `httpdate` because that crate needs `std` and resolves
//! RFC 850 two-digit years with a fixed pivot instead of the RFC's 50-year rule. One template
//! matcher reads all three forms: a device's flash holds one loop, not three parsers.
//!
//! ```
//! use headroom_core::header::parse_http_date;
//! use headroom_core::time::UnixTime;
//! let t = Some(UnixTime::from_secs(784111777));
//! assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT", None), t);
//! assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT", None), t);
//! assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994", None), t);
//! assert_eq!(parse_http_date(b"sun, 06 nov 1994 08:49:37 gmt", None), None); // case-sensitive
//! ```

use crate::time::UnixTime;

/// The weekdays' names, each followed by a space. A short name is a long one's first three
/// letters.
const WEEKDAYS: &[u8] = b"Monday Tuesday Wednesday Thursday Friday Saturday Sunday ";
/// The months' three letters, packed as the matcher packs them (`b"Jan"` is 0x4a616e).
const MONTHS: [u32; 12] = {
    let names = b"JanFebMarAprMayJunJulAugSepOctNovDec";
    let mut packed = [0u32; 12];
    let mut i = 0;
    while i < 36 {
        packed[i / 3] = packed[i / 3] << 8 | names[i] as u32;
        i += 1;
    }
    packed
};

/// What follows the weekday in each form. `d`, `y`, `h`, `m`, `s` are digits of the day, year,
/// hour, minute and second; `b` a month's letters (as in `strftime`); `_` a digit or the space
/// that pads asctime's day; anything else must match itself.
const IMF_FIXDATE: &[u8] = b", dd bbb yyyy hh:mm:ss GMT"; // Sun, 06 Nov 1994 08:49:37 GMT
const RFC850: &[u8] = b", dd-bbb-yy hh:mm:ss GMT"; // Sunday, 06-Nov-94 08:49:37 GMT
const ASCTIME: &[u8] = b" bbb _d hh:mm:ss yyyy"; // Sun Nov  6 08:49:37 1994

/// Seen from this instant (2019-12-31T23:59:59Z), the 50-year rule reads `70..=99` as 19xx
/// and `00..=69` as 20xx: the pivot used when the caller has no clock.
const NO_CLOCK_PIVOT: i64 = 1_577_836_799;

/// Parses an HTTP-date into Unix seconds.
///
/// `now` (the caller's wall clock) resolves RFC 850 two-digit years: a date more than 50 years in the future means
/// the most recent past year with those digits (RFC 9110 §5.6.7). Without it, `70..=99` mean
/// 19xx and `00..=69` mean 20xx. The weekday must be a valid name but is not cross-checked.
pub fn parse_http_date(s: &[u8], now: Option<UnixTime>) -> Option<UnixTime> {
    let s = trim_ows(s);
    let split = s.iter().position(|b| !b.is_ascii_alphabetic())?;
    let (weekday, rest) = s.split_at(split);
    let (template, two_digit_year) = match (weekday.len(), rest.first()) {
        (3, Some(b',')) => (IMF_FIXDATE, false),
        (3, _) => (ASCTIME, false),
        _ => (RFC850, true),
    };
    if !is_weekday(weekday) || rest.len() != template.len() {
        return None;
    }
    // Day, year, hour, minute, second; the month's three letters, packed. Five locals, not an
    // array: a device zeroes an array through a `memclr` call and indexes it with bounds
    // checks (32 B more flash).
    let (mut day, mut year, mut h, mut m, mut sec) = (0i32, 0i32, 0i32, 0i32, 0i32);
    let mut month = 0u32;
    for (&t, &b) in template.iter().zip(rest) {
        let t = match (t, b) {
            (b'b', _) => {
                month = month << 8 | u32::from(b);
                continue;
            }
            (b'_', b' ') => continue,
            (b'_', _) => b'd',
            _ => t,
        };
        let field = match t {
            b'd' => &mut day,
            b'y' => &mut year,
            b'h' => &mut h,
            b'm' => &mut m,
            b's' => &mut sec,
            _ if t == b => continue,
            _ => return None,
        };
        if !b.is_ascii_digit() {
            return None;
        }
        *field = *field * 10 + i32::from(b - b'0');
    }
    let month = MONTHS.iter().position(|&name| name == month)? as i32 + 1;
    // 60 admits a leap second, as RFC 9110 allows.
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let secs = h * 3600 + m * 60 + sec;
    let year = if two_digit_year {
        full_year(
            year,
            month,
            day,
            secs,
            now.map_or(NO_CLOCK_PIVOT, UnixTime::as_secs),
        )
    } else {
        year
    };
    civil(year, month, day, secs).map(UnixTime::from_secs)
}

/// A weekday's name, long or (three letters) short. One pass over the names' bytes: no table
/// of slices, and no `memcmp` (116 bytes on a device).
fn is_weekday(name: &[u8]) -> bool {
    // Letters of the current day's name matched so far; `usize::MAX` once one differs.
    let mut matched = 0;
    for &b in WEEKDAYS {
        if b == b' ' {
            if matched == name.len() {
                return true;
            }
            matched = 0;
        } else if name.get(matched) == Some(&b) {
            matched += 1;
            if matched == 3 && name.len() == 3 {
                return true;
            }
        } else {
            matched = usize::MAX;
        }
    }
    false
}

/// The latest year ending in `yy` whose date is at most 50 years after `now`.
fn full_year(yy: i32, month: i32, day: i32, secs: i32, now: i64) -> i32 {
    let fifty_years_before = |year: i32| unix(year - 50, month, day, secs);
    let mut year = 1900 + yy;
    while year + 100 <= 9999 && fifty_years_before(year + 100) <= now {
        year += 100;
    }
    year
}

/// Unix seconds for a civil date, rejecting impossible days (31 Feb).
pub(crate) fn civil(year: i32, month: i32, day: i32, secs: i32) -> Option<i64> {
    // Bytes, not `i32`s: 36 B less of a device's flash.
    const MONTH_LEN: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    // Divisible by 4, and not by 100 unless by 400 (by 25 and 16, with one division).
    let leap = year & 3 == 0 && (year % 25 != 0 || year & 15 == 0);
    let max_day = i32::from(*MONTH_LEN.get(usize::try_from(month - 1).ok()?)?)
        + i32::from(leap && month == 2);
    (1..=max_day)
        .contains(&day)
        .then(|| unix(year, month, day, secs))
}

fn unix(year: i32, month: i32, day: i32, secs: i32) -> i64 {
    i64::from(days_from_civil(year, month, day)) * 86_400 + i64::from(secs)
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

pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
