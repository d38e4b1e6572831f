#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backoff;
pub mod cost;
pub mod device;
pub mod driver;
pub mod effect;
pub mod header;
pub mod limiter;
pub mod observation;
pub mod response;
pub mod sf;
pub mod time;
pub mod window;

pub use backoff::{Backoff, DefaultRetries, Jitter, Method, Retries, RetryPolicy};
pub use cost::{Cost, Key};
pub use driver::{Decision, Driver, GiveUp, Step};
pub use limiter::{Cause, Config, Defaults, Denied, Grant, Limiter, Tuning};
pub use observation::Observation;
pub use response::Response;
pub use time::{Duration, Instant, UnixTime};
pub use window::{Buckets, Log, Window, Windows};

/// `v` as `u32`, saturating: counts, seconds and milliseconds past `u32::MAX` all mean "more
/// than a device will ever spend or wait", and 32-bit values keep its arithmetic in registers.
pub(crate) fn sat_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
