#![doc = include_str!("../README.md")]
#![no_std]
#![deny(unsafe_code)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("features `defmt` and `log` are mutually exclusive: pick one");

mod fmt;

pub mod device;

pub mod from_reqwless;
pub mod http;
mod retry;
pub mod rng;
mod shared;
#[cfg(feature = "tls")]
pub mod tls;
mod wire;

pub use headroom_core;
pub use retry::{Reply, retry, retry_with};
pub use shared::{MinuteAndDay, SharedLimiter, Ticket, synthlink};

use headroom_core::{Denied, GiveUp};

/// What went wrong.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E> {
    /// The limiter would make the caller wait longer than `Config::max_wait`.
    WouldWait(Denied),
    /// The request got no response (`E`: the transport's error), and is not retried further.
    Transport(E),
    /// The server kept refusing; the last status is given.
    GaveUp {
        /// Why retrying stopped.
        reason: GiveUp,
        /// The last response's status.
        status: u16,
    },
}

impl<E: core::fmt::Display> core::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::WouldWait(denied) => write!(f, "would wait too long: {denied}"),
            Error::Transport(e) => write!(f, "no response: {e}"),
            Error::GaveUp { reason, status } => {
                write!(f, "gave up after status {status}: {reason}")
            }
        }
    }
}

impl<E: core::fmt::Debug + core::fmt::Display> core::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::WouldWait(denied) => Some(denied),
            Error::GaveUp { reason, .. } => Some(reason),
            Error::Transport(_) => None,
        }
    }
}
