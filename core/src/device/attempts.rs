//! One request's retries on the device path: [`crate::Driver`]'s rules over a [`Device`].

use super::{Device, Reading};
use crate::backoff::{Method, Retries, RetryPolicy};
use crate::driver::{Decision, Driver};
use crate::limiter::{Config, Denied};
use crate::time::{Duration, Instant};
use rand_core::Rng;

/// The longest wait taken on the device path, for the limiter or before a retry:
/// [`Config::DEFAULT`]'s `max_wait`, 300 s.
pub const MAX_WAIT: Duration = Config::DEFAULT.max_wait;

/// What the adapter does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Next {
    /// Send the request (a grant is taken), then hand its outcome back with
    /// [`Attempts::answered`] or [`Attempts::lost`].
    Send,
    /// Sleep until this instant, then ask again.
    Wait(Instant),
    /// The next grant is further away than [`MAX_WAIT`]: stop with an error rather than
    /// sleep.
    WouldWait(Denied),
}

/// One request's retry state on the device path: retried as [`Driver`] retries under its
/// policy (by default: 429, 503 with `Retry-After`, lost requests of idempotent methods;
/// jittered backoff), waiting at most [`MAX_WAIT`] for the limiter or a retry. A
/// policy fixed at compile time ([`crate::DefaultRetries`]) folds into the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts<R = RetryPolicy> {
    driver: Driver<R>,
}

impl<R: Retries> Attempts<R> {
    /// A request with `method`, retried as `policy` says.
    pub const fn new(method: Method, policy: R) -> Self {
        Attempts {
            driver: Driver::new(method, policy),
        }
    }

    /// Attempts made so far, counting the one under way.
    pub const fn attempts(&self) -> u32 {
        self.driver.attempts()
    }

    /// What to do at `now`: send (a grant is taken from `device`), wait, or stop.
    pub fn next(&mut self, device: &mut Device, now: Instant) -> Next {
        let resume_at = self.driver.resume_at();
        if now < resume_at {
            return Next::Wait(resume_at);
        }
        match device.acquire(now) {
            Ok(()) => Next::Send,
            Err(denied) if !denied.within_max_wait => Next::WouldWait(denied),
            Err(denied) => Next::Wait(denied.until),
        }
    }

    /// The response to the request sent: fed to `device`, then decided. A reading without a
    /// status (0, as [`Reading::new`] is) stands for no response: the request is lost, as with
    /// [`Attempts::lost`].
    pub fn answered(
        &mut self,
        device: &mut Device,
        now: Instant,
        reading: &Reading,
        rng: &mut impl Rng,
    ) -> Decision {
        // Status 0 is also the limiter's release.
        device.observe(now, reading);
        let status = reading.status();
        let response = (status != 0).then(|| (status, reading.retry_after()));
        self.driver.decide_outcome(now, response, MAX_WAIT, rng)
    }

    /// The request sent got no response: released in `device`, then decided.
    pub fn lost(&mut self, device: &mut Device, now: Instant, rng: &mut impl Rng) -> Decision {
        device.release(now);
        self.driver.decide_lost(now, MAX_WAIT, rng)
    }
}
