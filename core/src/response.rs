//! A borrowed view of one HTTP response: what the limiter and the retry driver read.
//!
//! Like httparse's `Response`, it owns nothing: the status, the header lines and the body stay
//! in the caller's buffers, whatever HTTP client filled them.
//!
//! ```
//! use headroom_core::{Observation, Response, UnixTime};
//! let headers = [("RateLimit", &br#""minute";r=0;t=12"#[..]), ("Retry-After", b"12")];
//! let response = Response::new(429, headers)
//!     .body(br#"{"retry_after": 12}"#)
//!     .received_at(UnixTime::from_secs(1_764_547_200));
//! let obs: Observation = Observation::of(&response, &mut [0; 256]);
//! assert_eq!(obs.status(), Some(429));
//! assert_eq!(obs.policies()[0].remaining(), Some(0));
//! ```

use crate::time::UnixTime;

/// One response as its client received it. `H` yields the header lines in order as
/// `(name, value)` pairs and is iterated more than once: an array, a `Copy` slice iterator,
/// or a `map` over one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response<'b, H> {
    /// The status code; `None` when only the headers are known.
    pub status: Option<u16>,
    /// The header lines.
    pub headers: H,
    /// The body, or as much of it as the client kept; only a 429's `retry_after` is read.
    pub body: Option<&'b [u8]>,
    /// The caller's wall clock when the response arrived, if it has one: used only when the
    /// response has no valid `Date` (to resolve HTTP-dates and Unix-time resets).
    pub received_at: Option<UnixTime>,
}

impl<H> Response<'static, H> {
    /// A response with `status` and `headers`, no body and no wall clock.
    pub const fn new(status: u16, headers: H) -> Self {
        Response {
            status: Some(status),
            headers,
            body: None,
            received_at: None,
        }
    }

    /// Header lines whose status is unknown (read from a log or a capture, say).
    pub const fn headers_only(headers: H) -> Self {
        Response {
            status: None,
            headers,
            body: None,
            received_at: None,
        }
    }
}

impl<'b, H> Response<'b, H> {
    /// The same response with its `body`.
    pub fn body<'c>(self, body: &'c [u8]) -> Response<'c, H> {
        Response {
            status: self.status,
            headers: self.headers,
            body: Some(body),
            received_at: self.received_at,
        }
    }

    /// The same response, received at `now` by the caller's wall clock.
    pub fn received_at(mut self, now: UnixTime) -> Self {
        self.received_at = Some(now);
        self
    }
}
