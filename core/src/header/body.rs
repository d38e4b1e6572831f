//! The `retry_after` member of a 429's JSON body (`{"error": "...", "retry_after": 12}`).

use crate::time::Duration;

/// The wait in the body's `retry_after`, in seconds rounded up to whole ones; `None` when the body is not JSON, has no
/// such member, or holds a negative or non-numeric value. Other members are skipped.
///
/// ```
/// use headroom_core::{Duration, header::body_retry_after};
/// let secs = |s| Some(Duration::from_secs(s));
/// assert_eq!(body_retry_after(br#"{"error": "Too Many Requests", "retry_after": 12}"#), secs(12));
/// assert_eq!(body_retry_after(br#"{"retry_after": 0.2}"#), secs(1));
/// assert_eq!(body_retry_after(b"Too many requests, please try again later."), None);
/// ```
#[cfg(feature = "json")]
pub fn body_retry_after(body: &[u8]) -> Option<Duration> {
    #[derive(serde::Deserialize)]
    struct Throttled {
        retry_after: Option<f64>,
    }
    let (parsed, _) = serde_json_core::from_slice::<Throttled>(body).ok()?;
    let secs = parsed.retry_after?;
    // `as` saturates for huge values; NaN cannot come out of JSON.
    (secs >= 0.0).then(|| {
        let whole = secs as u64;
        Duration::from_secs(whole.saturating_add(u64::from(secs > whole as f64)))
    })
}

/// Without the `json` feature the body is not read.
#[cfg(not(feature = "json"))]
pub fn body_retry_after(_body: &[u8]) -> Option<Duration> {
    None
}
