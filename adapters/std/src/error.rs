//! What the shared limiter can refuse, as one enum with `Display`.

use headroom_core::limiter::StateError;
use headroom_core::{Cause, Duration};
use std::fmt;

/// An error from the shared limiter.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The limiter would have to wait longer than `max_wait` before sending.
    WouldWait {
        /// How long.
        wait: Duration,
        /// What holds it back.
        cause: Cause,
    },
    /// A `Q/DURATION` rate, or a set of rates, that cannot be used.
    InvalidRate(String),
    /// A saved limiter state that cannot be written or restored.
    State(StateError),
    /// The system clock is before 1970: a limiter state cannot say when it was saved.
    NoWallClock,
    /// The limiter's state lives in Redis: there is nothing to save or restore.
    StateInStore,
    /// The task asking the store was cancelled or failed: nothing was sent.
    Interrupted,
    /// The shared store holding the identity's state could not decide (unreachable for
    /// longer than `max_wait`, or refusing): nothing was sent.
    #[cfg(feature = "redis")]
    Store(headroom_redis::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WouldWait { wait, cause } => write!(
                f,
                "rate limited: the next request is allowed in {} s ({cause}), over the maximum wait",
                wait.as_secs_ceil(),
            ),
            Error::InvalidRate(why) => write!(f, "invalid rate {why}"),
            Error::State(e) => write!(f, "limiter state: {e}"),
            Error::NoWallClock => {
                f.write_str("the wall clock is unknown: cannot date a limiter state")
            }
            Error::Interrupted => f.write_str("the limiter's task was interrupted: nothing sent"),
            Error::StateInStore => {
                f.write_str("the limiter's state lives in Redis: nothing to save or restore")
            }
            #[cfg(feature = "redis")]
            Error::Store(e) => write!(f, "nothing sent: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::State(e) => Some(e),
            #[cfg(feature = "redis")]
            Error::Store(e) => Some(e),
            _ => None,
        }
    }
}
