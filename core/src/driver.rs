//! The retry driver: one request's life, acquire → send → observe or release → decide →
//! sleep, as a sans-IO state machine. It tells the adapter what to do next; the adapter only
//! sends and sleeps, so every adapter runs the same sequence.
//!
//! ```
//! use headroom_core::driver::{Decision, Driver, Step};
//! use headroom_core::{Config, Duration, Instant, Limiter, Log, Method, Observation, Response, RetryPolicy, Window};
//! # struct Rng; impl rand_core::TryRng for Rng { type Error = core::convert::Infallible;
//! #   fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(7) }
//! #   fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(7) }
//! #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { d.fill(7); Ok(()) } }
//! let mut limiter: Limiter<Window<Log<60>>> =
//!     Limiter::new(Window::exact(60, Duration::from_secs(60)), Config::DEFAULT);
//! let mut driver = Driver::new(Method::Get, RetryPolicy::DEFAULT);
//! let mut now = Instant::from_millis(0);
//! let mut obs: Observation = Observation::new();
//! // The server answers 429 with Retry-After: 2, then 200.
//! let mut statuses = [429u16, 200].into_iter();
//! let status = loop {
//!     match driver.step(&mut limiter, now) {
//!         Step::Wait(until) => now = until, // an adapter sleeps here
//!         Step::WouldWait(denied) => panic!("a wait past max_wait: {denied:?}"),
//!         Step::Send(grant) => {
//!             let status = statuses.next().unwrap();
//!             obs.parse(&Response::new(status, [("Retry-After", &b"2"[..])]), &mut []);
//!             match driver.answered(&mut limiter, now, grant, &obs, &mut Rng) {
//!                 Decision::Done => break status,
//!                 Decision::Retry { .. } => continue,
//!                 Decision::GiveUp(why) => panic!("{why}"),
//!             }
//!         }
//!     }
//! };
//! assert_eq!((status, now), (200, Instant::from_millis(2_000)));
//! ```
//!
//! A [`Grant`] that is never handed back keeps a unit of in-flight capacity. Adapters hold
//! it in a guard that releases it on drop, so a cancelled future or a panic returns it.

use crate::backoff::{Method, Retries, RetryPolicy};
use crate::cost::{Cost, Key};
use crate::limiter::{Denied, Grant, Limiter, Tuning};
use crate::observation::Observation;
use crate::time::{Duration, Instant};
use crate::window::Windows;
use rand_core::Rng;

/// What the adapter does next.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// Send the request, then hand its outcome back with [`Driver::answered`] or
    /// [`Driver::lost`].
    Send(Grant),
    /// Sleep until this instant (or until another response of the identity arrives, if the
    /// adapter can tell), then ask again.
    Wait(Instant),
    /// The next grant is further away than [`Config::max_wait`](crate::Config::max_wait):
    /// stop with an error rather than sleep.
    WouldWait(Denied),
}

/// What follows a response or a lost request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// Not a retryable response: hand it to the caller.
    Done,
    /// Retry after this delay: ask [`Driver::step`] again (it says how long to sleep).
    Retry {
        /// How long to wait.
        after: Duration,
        /// True when the server chose the delay (`Retry-After` or the body).
        from_server: bool,
    },
    /// Stop: the last response (or the transport's error) goes to the caller as an error.
    GiveUp(GiveUp),
}

/// Why retrying stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GiveUp {
    /// `max_retries` retries were made.
    RetriesExhausted {
        /// Attempts made in all.
        attempts: u32,
    },
    /// The next wait, the server's or headroom's own backoff, is longer than
    /// [`Config::max_wait`](crate::Config::max_wait).
    WaitTooLong {
        /// The wait asked for.
        wait: Duration,
        /// True when the server asked for it.
        from_server: bool,
    },
    /// The method is not idempotent and the policy does not retry those.
    NotIdempotent,
    /// The request got no response and the policy does not retry those.
    NoResponse,
}

impl core::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            GiveUp::RetriesExhausted { attempts } => {
                write!(f, "still refused after {attempts} attempts")
            }
            GiveUp::WaitTooLong { wait, from_server } => write!(
                f,
                "{} asks for a wait of {} s, over max_wait",
                if from_server {
                    "the server"
                } else {
                    "the backoff"
                },
                wait.as_secs_ceil()
            ),
            GiveUp::NotIdempotent => f.write_str("the method is not idempotent; not retried"),
            GiveUp::NoResponse => f.write_str("no response, and the policy does not retry those"),
        }
    }
}

impl core::error::Error for GiveUp {}

/// One request's retry state: the policy, the retries so far, and when the next attempt may go.
/// The policy is a run-time [`RetryPolicy`], or one fixed at compile time
/// ([`DefaultRetries`](crate::DefaultRetries)) whose rules fold into a device's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Driver<R = RetryPolicy> {
    policy: R,
    method: Method,
    retries: u32,
    previous: Duration,
    resume_at: Instant,
}

impl<R: Retries> Driver<R> {
    /// A request with `method`, retried as `policy` says.
    pub const fn new(method: Method, policy: R) -> Self {
        Driver {
            policy,
            method,
            retries: 0,
            previous: Duration::ZERO,
            resume_at: Instant::ZERO,
        }
    }

    /// Attempts made so far (sends that were answered or lost).
    pub const fn attempts(&self) -> u32 {
        self.retries + 1
    }

    /// What to do at `now`: send (with a grant taken from `limiter`), wait, or stop.
    pub fn step<W: Windows, const B: usize, C: Tuning>(
        &mut self,
        limiter: &mut Limiter<W, B, C>,
        now: Instant,
    ) -> Step {
        self.step_with(limiter, now, Key::IDENTITY, Cost::ONE)
    }

    /// [`Driver::step`] for a request of `cost` for `key` (see [`Limiter::try_acquire_with`]):
    /// every step of one request must ask for the same.
    pub fn step_with<W: Windows, const B: usize, C: Tuning>(
        &mut self,
        limiter: &mut Limiter<W, B, C>,
        now: Instant,
        key: Key,
        cost: Cost,
    ) -> Step {
        if now < self.resume_at {
            return Step::Wait(self.resume_at);
        }
        match limiter.try_acquire_with(now, key, cost) {
            Ok(grant) => Step::Send(grant),
            Err(denied) if !denied.within_max_wait => Step::WouldWait(denied),
            Err(denied) => Step::Wait(denied.until),
        }
    }

    /// The response `obs` to the request `grant` allowed: fed to `limiter`, then decided.
    pub fn answered<W: Windows, const B: usize, C: Tuning, const P: usize>(
        &mut self,
        limiter: &mut Limiter<W, B, C>,
        now: Instant,
        grant: Grant,
        obs: &Observation<P>,
        rng: &mut impl Rng,
    ) -> Decision {
        limiter.observe(now, grant, obs);
        self.decide(now, obs, limiter.config().max_wait, rng)
    }

    /// What follows the response `obs`, for a caller whose limiter state lives elsewhere (a
    /// shared store that has been fed `obs`): done, retry after a delay, or give up.
    pub fn decide<const P: usize>(
        &mut self,
        now: Instant,
        obs: &Observation<P>,
        max_wait: Duration,
        rng: &mut impl Rng,
    ) -> Decision {
        // GitHub throttles with a 403: retried as a 429 would be.
        let status = match obs.status() {
            Some(403) if cfg!(feature = "github") && obs.throttled() => 429,
            s => s.unwrap_or(0),
        };
        self.decide_status(now, status, obs.retry_after(), max_wait, rng)
    }

    /// What follows a response with `status` and the server's delay, if any.
    pub(crate) fn decide_status(
        &mut self,
        now: Instant,
        status: u16,
        server_delay: Option<Duration>,
        max_wait: Duration,
        rng: &mut impl Rng,
    ) -> Decision {
        if !self
            .policy
            .policy()
            .retryable(status, server_delay.is_some())
        {
            return Decision::Done;
        }
        self.retry(max_wait, now, server_delay, rng)
    }

    /// What follows a response (its status and the server's delay, if any), or `None`: a
    /// request that got no response. One call of the common rules for both, so a device that
    /// hands both outcomes to [`crate::device::Attempts::answered`] links them once (100 B
    /// less than through `decide_status` and `decide_lost`).
    pub(crate) fn decide_outcome(
        &mut self,
        now: Instant,
        response: Option<(u16, Option<Duration>)>,
        max_wait: Duration,
        rng: &mut impl Rng,
    ) -> Decision {
        let policy = self.policy.policy();
        let (retry, server_delay, stop) = match response {
            Some((status, delay)) => (
                policy.retryable(status, delay.is_some()),
                delay,
                Decision::Done,
            ),
            None => (
                policy.retry_no_response,
                None,
                Decision::GiveUp(GiveUp::NoResponse),
            ),
        };
        if !retry {
            return stop;
        }
        self.retry(max_wait, now, server_delay, rng)
    }

    /// The request `grant` allowed got no response (connection refused or reset, timeout):
    /// released in `limiter` (it stays counted, as it may have reached the server), then
    /// decided. Counts as an attempt, like a retried response.
    pub fn lost<W: Windows, const B: usize, C: Tuning>(
        &mut self,
        limiter: &mut Limiter<W, B, C>,
        now: Instant,
        grant: Grant,
        rng: &mut impl Rng,
    ) -> Decision {
        limiter.release(grant);
        self.decide_lost(now, limiter.config().max_wait, rng)
    }

    /// What follows a request that got no response, for a caller whose limiter state lives
    /// elsewhere (see [`Driver::decide`]).
    pub fn decide_lost(
        &mut self,
        now: Instant,
        max_wait: Duration,
        rng: &mut impl Rng,
    ) -> Decision {
        self.decide_outcome(now, None, max_wait, rng)
    }

    /// When the next attempt may go, whatever the limiter says (a retry's delay).
    pub const fn resume_at(&self) -> Instant {
        self.resume_at
    }

    /// The common rules: idempotency, the retry count, and the longest wait.
    fn retry(
        &mut self,
        max_wait: Duration,
        now: Instant,
        server_delay: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Decision {
        if !self.method.is_idempotent() && !self.policy.policy().retry_non_idempotent {
            return Decision::GiveUp(GiveUp::NotIdempotent);
        }
        if self.retries >= self.policy.policy().max_retries {
            return Decision::GiveUp(GiveUp::RetriesExhausted {
                attempts: self.retries.saturating_add(1),
            });
        }
        let from_server = server_delay.is_some();
        let after = server_delay.unwrap_or_else(|| {
            self.policy
                .policy()
                .backoff
                .delay(self.retries, self.previous, rng)
        });
        if after > max_wait {
            return Decision::GiveUp(GiveUp::WaitTooLong {
                wait: after,
                from_server,
            });
        }
        self.retries += 1;
        self.previous = after;
        self.resume_at = now + after;
        Decision::Retry { after, from_server }
    }
}
