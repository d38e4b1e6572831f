//! Responses of the [`http`] crate (ureq's and reqwest's) read as rate-limit facts.

use crate::clock::Clock;
use headroom_core::{Observation, UnixTime};
use http::HeaderMap;

/// Error bodies read for their `retry_after` (and problem details) at most: a longer one is
/// read no further than this.
pub const ERROR_BODY_LIMIT: u64 = 64 << 10;

/// What `status`, `headers` and (for an error status) `body` say about the limits, read
/// against the wall-clock time `now` (for `Retry-After` dates and resets without `Date`).
///
/// ```
/// use http::HeaderMap;
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", "7".parse().unwrap());
/// let obs = headroom_std::observation(429, &headers, None, None);
/// assert_eq!(obs.retry_after(), Some(headroom_std::headroom_core::Duration::from_secs(7)));
/// ```
pub fn observation(
    status: u16,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now: Option<UnixTime>,
) -> Observation {
    // The core reads the fields more than once: a cloneable iterator over a list.
    let list: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let fields = list.iter().copied();
    let response = headroom_core::Response {
        status: Some(status),
        headers: fields,
        body: body.filter(|_| status >= 400),
        received_at: now,
    };
    Observation::of(&response, &mut [0u8; 1024])
}

/// The wall-clock time of `clock`, in whole seconds, when it has one.
pub fn unix_now<C: Clock>(clock: &C) -> Option<UnixTime> {
    clock
        .unix_ms()
        .map(|ms| UnixTime::from_secs(i64::try_from(ms / 1000).unwrap_or(i64::MAX)))
}

/// Logs the header fields `obs` ignored and why, at `debug`.
pub fn log_ignored<const P: usize>(obs: &Observation<P>) {
    for ignored in obs.ignored() {
        log::debug!(
            "headroom: ignored {} ({})",
            ignored.field.name(),
            ignored.reason.as_str()
        );
    }
}
