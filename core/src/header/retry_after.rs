//! `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

use super::Reason;
use super::date::{parse_http_date, trim_ows};
use crate::time::UnixTime;

/// A parsed `Retry-After` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RetryAfter {
    /// `delay-seconds`; absurdly long values saturate and are capped by the caller's policy.
    Seconds(u64),
    /// An HTTP-date.
    Date(UnixTime),
}

impl RetryAfter {
    /// Seconds to wait from the response's time (`reference`, from its `Date` header or the
    /// caller's wall clock). A date in the past means 0. A date with no reference time is `None`.
    pub fn delay_secs(self, reference: Option<UnixTime>) -> Option<u64> {
        match self {
            RetryAfter::Seconds(s) => Some(s),
            RetryAfter::Date(at) => Some(at.secs_since(reference?)),
        }
    }
}

/// Parses a `Retry-After` value. `-5`, `0.5`, `1m0s` and anything else that is neither
/// `1*DIGIT` nor an HTTP-date are rejected.
///
/// ```
/// use headroom_core::header::{parse_retry_after, RetryAfter};
/// use headroom_core::time::UnixTime;
/// assert_eq!(parse_retry_after(b"12", None), Ok(RetryAfter::Seconds(12)));
/// assert!(parse_retry_after(b"-5", None).is_err());
/// let at = parse_retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", None).unwrap();
/// assert_eq!(at.delay_secs(Some(UnixTime::from_secs(784111777 - 30))), Some(30));
/// assert_eq!(at.delay_secs(Some(UnixTime::from_secs(784111777 + 30))), Some(0));
/// ```
pub fn parse_retry_after(value: &[u8], now: Option<UnixTime>) -> Result<RetryAfter, Reason> {
    let v = trim_ows(value);
    if let Some(secs) = super::parse_digits(v) {
        return Ok(RetryAfter::Seconds(secs));
    }
    parse_http_date(v, now)
        .map(RetryAfter::Date)
        .ok_or(Reason::NotSecondsOrDate)
}
