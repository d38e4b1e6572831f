#![doc = include_str!("../README.md")]

pub mod clock;
pub mod error;
pub mod read;
pub mod redact;
#[cfg(feature = "redis")]
mod remote;
pub mod routes;
pub mod shared;
pub mod stats;
mod trace;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use headroom_core;
pub use read::{observation, unix_now};
pub use redact::redact_url;
pub use routes::Routes;
pub use shared::{Poll, Rate, STD_BUDGETS, SharedLimiter, StdLimiter, Ticket, parse_duration};
pub use stats::Stats;
pub use trace::RequestSpan;
