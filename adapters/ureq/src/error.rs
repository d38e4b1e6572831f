//! What can go wrong, as one enum: each variant says what happened and keeps what was known.

use crate::client::Response;
use headroom_core::limiter::StateError;
use headroom_core::{Cause, Duration, GiveUp};
use std::fmt;

/// An error from this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent or its response not read (DNS, connect, timeout, reset,
    /// a body over the size limit, a bad URL).
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
        /// The last response (a 429 or 503, usually).
        response: Box<Response>,
    },
    /// The limiter would have to wait longer than `max_wait` before sending.
    WouldWait {
        /// How long.
        wait: Duration,
        /// What holds it back.
        cause: Cause,
    },
    /// A `Q/DURATION` rate, or a set of rates, that cannot be used.
    InvalidRate(String),
    /// A method, header or URL that cannot form a request.
    InvalidRequest(String),
    /// A saved limiter state that cannot be written or restored.
    State(StateError),
    /// The system clock is before 1970: a limiter state cannot say when it was saved.
    NoWallClock,
    /// The shared store holding the identity's state could not decide (unreachable for
    /// longer than `max_wait`, or refusing): nothing was sent.
    #[cfg(feature = "redis")]
    Store(headroom_redis::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport { attempts, source } => {
                write!(f, "transport error after {attempts} attempt(s): {source}")
            }
            Error::GaveUp { reason, response } => write!(f, "HTTP {}: {reason}", response.status),
            Error::WouldWait { wait, cause } => write!(
                f,
                "rate limited: the next request is allowed in {} s ({cause}), over the maximum wait",
                wait.as_secs_ceil(),
            ),
            Error::InvalidRate(why) => write!(f, "invalid rate {why}"),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Error::State(e) => write!(f, "limiter state: {e}"),
            Error::NoWallClock => {
                f.write_str("the wall clock is unknown: cannot date a limiter state")
            }
            #[cfg(feature = "redis")]
            Error::Store(e) => write!(f, "nothing sent: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            Error::State(e) => Some(e),
            Error::GaveUp { reason, .. } => Some(reason),
            #[cfg(feature = "redis")]
            Error::Store(e) => Some(e),
            _ => None,
        }
    }
}
