//! What can go wrong, as one enum: each variant says what happened, in words, and keeps what
//! was known. Credentials never appear: URLs are shown without their userinfo, and header
//! values are not shown at all.

use headroom_core::GiveUp;
use std::fmt;
use ureq::Body;

/// An error from this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No response could be had (DNS, connect, TLS, timeout, reset, a body over the size
    /// limit).
    Transport {
        /// Attempts made, this one included.
        attempts: u32,
        /// ureq's error.
        source: ureq::Error,
    },
    /// The server kept refusing and the retry policy gave up; the last response is kept.
    GaveUp {
        /// Why retrying stopped.
        reason: GiveUp,
        /// The last response (a 429 or 503, usually), its body unread or replayed.
        response: Box<http::Response<Body>>,
    },
    /// The limiter refused to wait that long, could not reach its store, or a rate or state
    /// was unusable.
    Limiter(headroom_std::Error),
    /// A method, header or URL that cannot form a request. Never retried.
    InvalidRequest(String),
}

impl From<headroom_std::Error> for Error {
    fn from(e: headroom_std::Error) -> Self {
        Error::Limiter(e)
    }
}

/// ureq's error in words, without the Rust names of its variants.
pub(crate) struct Words<'a>(pub(crate) &'a ureq::Error);

impl fmt::Display for Words<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ureq::Error::Rustls(e) => write!(f, "TLS handshake failed: {e}"),
            ureq::Error::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            ureq::Error::Io(e) if tls_io(e) => write!(f, "TLS handshake failed: {e}"),
            ureq::Error::Io(e) => write!(f, "{e}"),
            ureq::Error::HostNotFound => f.write_str("host not found"),
            ureq::Error::ConnectionFailed => f.write_str("connection failed"),
            ureq::Error::Timeout(t) => write!(f, "timed out ({t})"),
            ureq::Error::BodyExceedsLimit(n) => write!(f, "response body over {n} bytes"),
            ureq::Error::BodyStalled => f.write_str("the response body stalled"),
            other => write!(f, "{other}"),
        }
    }
}

/// True when an I/O error came from TLS (rustls reports through `io::Error`).
pub(crate) fn tls_io(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
        || e.kind() == std::io::ErrorKind::InvalidData
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport {
                attempts: 1,
                source,
            } => {
                write!(f, "no response: {}", Words(source))
            }
            Error::Transport { attempts, source } => {
                write!(
                    f,
                    "no response after {attempts} attempts: {}",
                    Words(source)
                )
            }
            Error::GaveUp { reason, response } => {
                write!(f, "HTTP {}: {reason}", response.status().as_u16())
            }
            Error::Limiter(e) => write!(f, "{e}"),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            Error::Limiter(e) => Some(e),
            Error::GaveUp { reason, .. } => Some(reason),
            Error::InvalidRequest(_) => None,
        }
    }
}
