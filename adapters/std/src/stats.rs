//! Counters of one limiter, shared by every clone, adapter and task that draws on it.

use std::sync::atomic::{AtomicU64, Ordering};

/// What one limiter's requests came to. Read with the methods; every adapter of the
/// limiter adds to the same counters.
///
/// ```
/// let stats = headroom_std::Stats::default();
/// stats.record_status(429);
/// assert_eq!((stats.sent(), stats.throttled(), stats.ok()), (1, 1, 0));
/// ```
#[derive(Debug, Default)]
pub struct Stats {
    sent: AtomicU64,
    ok: AtomicU64,
    throttled: AtomicU64,
    lost: AtomicU64,
    retries: AtomicU64,
    cached: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    /// Requests sent (answered or lost, retries included).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Responses with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    /// Responses with status 429 (or GitHub's throttling 403).
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Requests that got no response (refused, reset, timed out).
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Retries decided.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Responses served from a cache, which cost no quota.
    pub fn cached(&self) -> u64 {
        self.cached.load(Ordering::Relaxed)
    }

    /// Counts a sent request answered with `status`.
    pub fn record_status(&self, status: u16) {
        bump(&self.sent);
        match status {
            200..=299 => bump(&self.ok),
            429 => bump(&self.throttled),
            _ => {}
        }
    }

    /// Counts a sent request that got no response.
    pub fn record_lost(&self) {
        bump(&self.sent);
        bump(&self.lost);
    }

    /// Counts a retry decided.
    pub fn record_retry(&self) {
        bump(&self.retries);
    }

    /// Counts a response served from a cache.
    pub fn record_cache_hit(&self) {
        bump(&self.cached);
    }
}
