//! headroom for firmware: one rate limiter per API identity, shared by every task of a device,
//! and a small HTTP/1.1 client that goes through it, over any
//! [`embedded_nal_async::TcpConnect`] + [`embedded_nal_async::Dns`] stack (embassy-net's
//! `TcpClient` and `DnsSocket` on a device).
//!
//! `#![no_std]`, no allocation, no unsafe. Time comes from embassy-time; the application (or
//! its HAL) provides the one time driver of the binary.
//!
//! ```no_run
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
//! use headroom_embassy::{SharedLimiter, MinuteAndDay};
//!
//! // SynthLink's documented policy, learned and kept in sync from its headers: 512 bytes,
//! // all zero at start (in `.bss`, no flash for an initial image).
//! static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> =
//!     SharedLimiter::new(headroom_embassy::synthlink());
//!
//! async fn poll_sensor_api() -> Result<(), headroom_embassy::Error<()>> {
//!     let ticket = API.acquire().await?; // sleeps until the limits allow a request
//!     // ... send the request, then hand the response's status and headers back:
//!     let headers = [("RateLimit", &b"\"minute\";r=41;t=30"[..])];
//!     ticket.observe_response(&headroom_embassy::headroom_core::Response::new(200, headers));
//!     Ok(())
//! }
//! ```
//!
//! - [`SharedLimiter`]: the core limiter behind an embassy-sync blocking mutex, generic over
//!   the raw mutex (`CriticalSectionRawMutex`, `ThreadModeRawMutex`, `NoopRawMutex`), `const`
//!   so it can be a `static`. [`SharedLimiter::acquire`] sleeps with embassy-time.
//! - [`retry`]: runs a request closure on the core's retry driver ([`headroom_core::Driver`]).
//! - [`http::Client`]: GET/POST with caller-supplied buffers, rate limited end to end, over
//!   reqwless's connections; `https://` with the `tls` feature ([`tls::Tls`]: embedded-tls,
//!   the URL's host as SNI, the certificate checked against your CA); chunked bodies decoded
//!   in place; a deadline on every exchange.
//! - [`from_reqwless`]: for firmware that sends with reqwless itself (`examples/reqwless.rs`).
//! - [`rng`]: HALs' rand_core 0.6 and 0.9 RNGs, as headroom takes them.
//!
//! ## Keeping what was spent across a reboot
//!
//! A device that reboots (a watchdog, an update, a power cut) starts with an empty limiter
//! and would spend the identity's quota again from zero. The limiter's state can be saved in
//! a compact, versioned form ([`headroom_core::Limiter::save`], at most about 820
//! bytes for [`synthlink()`]'s windows) and restored at boot. Where to keep it: retained RAM
//! (an `.uninit` section survives a warm reset, not a power cut), or a flash page or EEPROM
//! through `embedded-storage` (write it before a planned reboot or deep sleep, and every few
//! minutes at most, for the flash's sake). It needs a wall clock, to know how long the device
//! was down: an RTC, or the time a server's `Date` header gave.
//!
//! ```no_run
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
//! use headroom_embassy::headroom_core::Instant;
//! use headroom_embassy::{SharedLimiter, MinuteAndDay};
//!
//! static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> =
//!     SharedLimiter::new(headroom_embassy::synthlink());
//!
//! fn now() -> Instant {
//!     Instant::from_millis(embassy_time::Instant::now().as_millis())
//! }
//!
//! /// Before a planned reboot: the bytes to write to the flash page.
//! fn save(unix_ms: u64, page: &mut [u8; 1024]) -> usize {
//!     API.with(|l| l.save(now(), unix_ms, page)).unwrap_or(0)
//! }
//!
//! /// At boot. A blank or damaged page is refused, and the limiter starts empty.
//! fn restore(unix_ms: u64, page: &[u8]) {
//!     let _ = API.with(|l| l.restore(now(), unix_ms, page));
//! }
//! ```
//!
//! Features: `defmt` or `log` (exclusive) for diagnostics; `json` to read `retry_after` from a
//! 429's JSON body; `legacy` (default) to read `X-RateLimit-*` and the older drafts' fields too
//! (without it, about 2.8 KiB less flash: only the -08+ named policies of
//! `RateLimit-Policy`/`RateLimit` are read); `tls` for `https://` (about 213 KiB of flash,
//! most of it embedded-tls 0.18's P-384 code, which that version always links; 20 KiB of RAM
//! for the record buffers, yours to place).
#![no_std]
#![deny(unsafe_code)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("features `defmt` and `log` are mutually exclusive: pick one");

mod fmt;

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
