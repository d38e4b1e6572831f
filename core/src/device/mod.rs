//! The device path: a fixed-shape limiter and a one-pass header reader, for the flash a
//! microcontroller can spare.
//!
//! [`crate::Limiter`] is generic: any number of windows, keys, weighted costs, draft -11's
//! units, a saved state, and a [`crate::Denied`] that says why. A device calling one API for
//! one identity needs none of that. [`Device`] is one identity's limiter with the two windows
//! an API like SynthLink's has (a minute's, counted exactly, and a day's, in buckets), the
//! server's budgets and pause, and the fleet's pace; [`Reading`] reads a response for it in
//! one pass, keeping four numbers per policy; [`Attempts`] retries as [`crate::Driver`] does
//! under [`crate::RetryPolicy::DEFAULT`]. No generics, `dyn` or `Debug` on the way, no panic
//! path.
//!
//! They behave as the generic limiter does: headroom's utilization simulation runs both in the
//! same scenarios (`benches`, `device_vs_synced`), and its test asserts the same 429s and
//! completion in each.
//!
//! ```
//! use headroom_core::device::{Attempts, Device, Next, Reading};
//! use headroom_core::{Decision, Duration, Instant, Method, Response, RetryPolicy};
//! # struct Rng; impl rand_core::TryRng for Rng { type Error = core::convert::Infallible;
//! #   fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(7) }
//! #   fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(7) }
//! #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { d.fill(7); Ok(()) } }
//! let mut device = Device::new();
//! let mut attempts = Attempts::new(Method::Get, RetryPolicy::DEFAULT);
//! let now = Instant::from_millis(0);
//! assert_eq!(attempts.next(&mut device, now), Next::Send);
//! let headers = [("RateLimit", &br#""minute";r=0;t=12"#[..]), ("Retry-After", b"12")];
//! let reading = Reading::of(&Response::new(429, headers));
//! // Throttled: the same request goes again once the server's 12 s have passed.
//! let decision = attempts.answered(&mut device, now, &reading, &mut Rng);
//! let after = Duration::from_secs(12);
//! assert_eq!(decision, Decision::Retry { after, from_server: true });
//! assert_eq!(attempts.next(&mut device, now), Next::Wait(Instant::from_millis(12_000)));
//! // Then the policy's reset (`t=12`, with a guard of 15 ms) holds it a little longer.
//! let reset = Instant::from_millis(12_015);
//! assert_eq!(attempts.next(&mut device, Instant::from_millis(12_000)), Next::Wait(reset));
//! assert_eq!(attempts.next(&mut device, reset), Next::Send);
//! //! ```

mod attempts;
mod limiter;
mod list;
mod reading;

pub use attempts::{Attempts, MAX_WAIT, Next};
pub use limiter::Device;
pub use reading::Reading;
