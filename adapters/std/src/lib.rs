//! # headroom-std
//!
//! The std half that every headroom HTTP adapter shares, so that
//! [headroom-ureq](https://docs.rs/headroom-ureq) and
//! [headroom-reqwest](https://docs.rs/headroom-reqwest) only send and sleep:
//!
//! - [`SharedLimiter`]: one [`headroom_core`] limiter per identity, shared by every thread and
//!   task (or kept in Redis, feature `redis`); blocking waits ([`SharedLimiter::acquire`]) and
//!   a non-blocking step ([`SharedLimiter::poll_send`]) for async runtimes;
//! - [`Rate`]s (`60/1m`) and [`parse_duration`], the one duration syntax of every tool;
//! - [`Routes`]: which [`Key`](headroom_core::Key) a request's path is acquired for;
//! - [`observation`]: an `http` response head (and error body) read as rate-limit facts;
//! - [`Stats`]: counters, read through methods;
//! - [`redact_url`]: URLs without their credentials, for logs and errors.
//!
//! ```
//! use headroom_std::SharedLimiter;
//! let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
//! let worker = limiter.clone(); // same state: hand one to each thread
//! let ticket = worker.acquire()?; // returns at once: the windows are empty
//! worker.release(ticket);
//! # Ok::<(), headroom_std::Error>(())
//! ```

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
