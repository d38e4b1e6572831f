//! Retry decisions: jittered exponential backoff, the server's delay first, and a ceiling on
//! how long anyone waits.
//!
//! Defaults (the seeds' advice): 1 s base, factor 2, 60 s cap, at most 3 retries, **equal
//! jitter**. Equal jitter keeps every wait at least half the exponential delay, so a throttled
//! device never retries at once into the window that refused it, while still spreading a fleet's
//! retries over the other half; full jitter can pick ~0 ms, decorrelated needs per-request state.
//!
//! Retried by default: 429 always; 503 only with a `Retry-After`; only idempotent methods
//! (GET, HEAD, PUT, DELETE, OPTIONS, TRACE). All configurable in [`RetryPolicy`].
//!
//! The waits themselves, and the retry decisions, are the [`driver`](crate::driver)'s.
//!
//! ```
//! use headroom_core::{Backoff, Duration};
//! # struct Fixed; impl rand_core::TryRng for Fixed { type Error = core::convert::Infallible;
//! #   fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(u32::MAX / 2) }
//! #   fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(u64::MAX / 2) }
//! #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { d.fill(0x7f); Ok(()) } }
//! let backoff = Backoff::DEFAULT;
//! assert_eq!(backoff.ceiling(2), Duration::from_secs(4));
//! // Equal jitter: between half the ceiling and the ceiling.
//! let d = backoff.delay(2, Duration::ZERO, &mut Fixed);
//! assert!(Duration::from_secs(2) <= d && d <= Duration::from_secs(4));
//! ```

use crate::time::Duration;
use rand_core::Rng;

/// How a computed delay is randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Jitter {
    /// Exactly the exponential delay.
    None,
    /// Uniform in `[0, delay]`.
    Full,
    /// Uniform in `[delay/2, delay]` (the default).
    Equal,
    /// Uniform in `[base, 3 × previous]`, capped.
    Decorrelated,
}

/// Exponential backoff: `base × factor^attempt`, capped, then jittered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Backoff {
    /// The first delay.
    pub base: Duration,
    /// Growth per attempt.
    pub factor: u32,
    /// The longest computed delay.
    pub cap: Duration,
    /// Randomisation.
    pub jitter: Jitter,
}

impl Backoff {
    /// 1 s, ×2, capped at 60 s, equal jitter.
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_secs(1),
        factor: 2,
        cap: Duration::from_secs(60),
        jitter: Jitter::Equal,
    };

    /// The un-jittered delay before retry number `attempt` (0-based): never overflows.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let mut d = self.base.min(self.cap);
        // With factor ≤ 1 the delay never grows; otherwise it reaches the cap within 64 steps.
        // Either way the loop is bounded whatever `attempt` is.
        if self.factor <= 1 {
            return d;
        }
        for _ in 0..attempt.min(64) {
            d = d.saturating_mul(u64::from(self.factor)).min(self.cap);
        }
        d
    }

    /// The jittered delay before retry `attempt`; `previous` is the last delay used (for
    /// decorrelated jitter). Always within `[0, cap]`.
    pub fn delay(&self, attempt: u32, previous: Duration, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt).millis();
        let ms = match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => uniform(rng, 0, ceiling),
            Jitter::Equal => uniform(rng, ceiling / 2, ceiling),
            Jitter::Decorrelated => {
                let lo = self.base.min(self.cap).millis();
                let hi = previous
                    .millis()
                    .saturating_mul(3)
                    .clamp(lo, self.cap.millis());
                uniform(rng, lo, hi)
            }
        };
        Duration::from_millis(u64::from(ms))
    }
}

/// Uniform in `[lo, hi]` by widening multiplication (no modulo bias worth a branch here), in
/// 32 bits as a `Duration` is: one 32×32→64 multiply on a device.
fn uniform(rng: &mut impl Rng, lo: u32, hi: u32) -> u32 {
    // Every caller has `lo <= hi` (a half of the ceiling, or a bound clamped above it).
    let span = u64::from(hi - lo) + 1;
    // Below `span` ≤ 2^32, so it fits, and `lo + r` is at most `hi`.
    let r = (u64::from(rng.next_u32()) * span) >> 32;
    lo + r as u32
}

/// An HTTP method, for the idempotency rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Head,
    Put,
    Delete,
    Options,
    Trace,
    Post,
    Patch,
    Connect,
    /// Any other method: treated as not idempotent.
    Other,
}

impl Method {
    /// Parses a method name (case-sensitive, as HTTP methods are).
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "CONNECT" => Method::Connect,
            _ => Method::Other,
        }
    }

    /// RFC 9110 §9.2.2 idempotent methods.
    pub const fn is_idempotent(self) -> bool {
        matches!(
            self,
            Method::Get
                | Method::Head
                | Method::Put
                | Method::Delete
                | Method::Options
                | Method::Trace
        )
    }
}

/// Which responses are retried, and how. The longest wait is the limiter's
/// [`Config::max_wait`](crate::Config::max_wait): one setting for every wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RetryPolicy {
    /// The computed delay when the server gives none.
    pub backoff: Backoff,
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// Retry non-idempotent methods too (default false).
    pub retry_non_idempotent: bool,
    /// Retry a 503 even without `Retry-After` (default false).
    pub retry_503_without_retry_after: bool,
    /// Up to four more statuses to retry with backoff (0 = unused).
    pub extra_statuses: [u16; 4],
    /// Retry (idempotent) requests that got no response at all, e.g. a connection reset
    /// because the server closed an idle keep-alive connection as it was reused (default true).
    pub retry_no_response: bool,
}

impl RetryPolicy {
    /// The defaults described in the module docs.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        backoff: Backoff::DEFAULT,
        max_retries: 3,
        retry_non_idempotent: false,
        retry_503_without_retry_after: false,
        extra_statuses: [0; 4],
        retry_no_response: true,
    };

    pub(crate) fn retryable(&self, status: u16, has_retry_after: bool) -> bool {
        match status {
            429 => true,
            503 => has_retry_after || self.retry_503_without_retry_after,
            0 => false,
            // Compared one by one: a policy fixed at compile time then folds away.
            s => {
                let [a, b, c, d] = self.extra_statuses;
                s == a || s == b || s == c || s == d
            }
        }
    }
}

/// A retry policy for [`crate::Driver`]: a run-time [`RetryPolicy`], or one fixed at compile
/// time, such as [`DefaultRetries`], whose rules then fold into the code (on a device, a few
/// hundred bytes of flash less).
pub trait Retries {
    /// The policy.
    fn policy(&self) -> RetryPolicy;
}

impl Retries for RetryPolicy {
    #[inline]
    fn policy(&self) -> RetryPolicy {
        *self
    }
}

impl<T: Retries> Retries for &T {
    #[inline]
    fn policy(&self) -> RetryPolicy {
        (**self).policy()
    }
}

/// [`RetryPolicy::DEFAULT`], fixed at compile time (see [`Retries`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DefaultRetries;

impl Retries for DefaultRetries {
    #[inline]
    fn policy(&self) -> RetryPolicy {
        RetryPolicy::DEFAULT
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}
