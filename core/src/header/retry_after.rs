//! `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

use super::Reason;
use super::date::{parse_http_date, trim_ows};
use crate::time::{Duration, UnixTime};

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
    /// The wait from the response's time (`reference`, from its `Date` header or the caller's
    /// wall clock). A date in the past means none. A date with no reference time is `None`.
    pub fn delay(self, reference: Option<UnixTime>) -> Option<Duration> {
        let secs = match self {
            RetryAfter::Seconds(s) => s,
            RetryAfter::Date(at) => at.secs_since(reference?),
        };
        Some(Duration::from_secs(secs))
    }
}

/// Parses a `Retry-After` value: `1*DIGIT`, an HTTP-date, or a decimal (`2.0`, `0.5`).
///
/// RFC 9110 allows only digits, but real servers send decimals (Shopify sends `2.0`), and a
/// client that ignored one would come back before the server asked: a decimal is read rounded
/// up to whole seconds, so it is never early. `-5`, `.5`, `2.`, `1m0s` and anything else are
/// rejected.
///
/// ```
/// use headroom_core::header::{parse_retry_after, RetryAfter};
/// use headroom_core::{Duration, UnixTime};
/// assert_eq!(parse_retry_after(b"12", None), Ok(RetryAfter::Seconds(12)));
/// assert_eq!(parse_retry_after(b"2.0", None), Ok(RetryAfter::Seconds(2)));
/// assert_eq!(parse_retry_after(b"0.5", None), Ok(RetryAfter::Seconds(1)));
/// assert!(parse_retry_after(b"-5", None).is_err());
/// let at = parse_retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", None).unwrap();
/// assert_eq!(at.delay(Some(UnixTime::from_secs(784111777 - 30))), Some(Duration::from_secs(30)));
/// assert_eq!(at.delay(Some(UnixTime::from_secs(784111777 + 30))), Some(Duration::ZERO));
/// ```
pub fn parse_retry_after(value: &[u8], now: Option<UnixTime>) -> Result<RetryAfter, Reason> {
    let v = trim_ows(value);
    if let Some(secs) = super::ceil_decimal(v) {
        return Ok(RetryAfter::Seconds(secs));
    }
    parse_http_date(v, now)
        .map(RetryAfter::Date)
        .ok_or(Reason::NotSecondsOrDate)
}
