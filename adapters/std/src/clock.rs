//! Where time comes from: the system clock, or a manual one that tests (and simulations) drive.
//!
//! Every wait in this crate goes through a [`Clock`], so a test can run a whole retry schedule
//! in virtual time: [`ManualClock`] advances instead of sleeping.

use headroom_core::time::{Duration, Instant};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// A monotonic clock with a wall-clock reading, able to wait.
pub trait Clock: Clone + Send + Sync + 'static {
    /// Monotonic time in milliseconds since an arbitrary origin.
    fn now(&self) -> Instant;
    /// Wall-clock time in Unix milliseconds, if known (used to read `Date` and epoch resets).
    fn unix_ms(&self) -> Option<u64>;
    /// Blocks for `d`.
    fn sleep(&self, d: Duration);
    /// Blocks for up to `d` on `guard`'s mutex, returning early when `cv` is notified.
    fn wait<'a, T>(&self, cv: &Condvar, guard: MutexGuard<'a, T>, d: Duration)
    -> MutexGuard<'a, T>;
}

/// The operating system's clocks.
#[derive(Clone, Debug)]
pub struct SystemClock {
    origin: std::time::Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: std::time::Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

fn std_duration(d: Duration) -> std::time::Duration {
    std::time::Duration::from_millis(d.as_millis())
}

/// Where [`SystemClock`]'s monotonic time starts: far enough from 0 that a limiter state
/// restored from an earlier run can place that run's grants (a year back) on this clock.
const SYSTEM_ORIGIN_MS: u64 = 400 * 86_400_000;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        Instant::from_millis(ms.saturating_add(SYSTEM_ORIGIN_MS))
    }

    fn unix_ms(&self) -> Option<u64> {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        u64::try_from(since.as_millis()).ok()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(std_duration(d));
    }

    fn wait<'a, T>(
        &self,
        cv: &Condvar,
        guard: MutexGuard<'a, T>,
        d: Duration,
    ) -> MutexGuard<'a, T> {
        match cv.wait_timeout(guard, std_duration(d)) {
            Ok((g, _)) => g,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// A clock that moves only when told to, or when something sleeps on it (which then returns at
/// once, having advanced the clock). Clones share one time. For tests and simulations with a
/// single caller; with several threads, sleeps advance everyone's time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
    unix_origin_ms: u64,
}

impl ManualClock {
    /// A clock at monotonic 0, whose wall clock reads `unix_origin_ms` then.
    pub fn new(unix_origin_ms: u64) -> Self {
        ManualClock {
            now_ms: Arc::new(AtomicU64::new(0)),
            unix_origin_ms,
        }
    }

    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.now_ms.fetch_add(d.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms.load(Ordering::SeqCst))
    }

    fn unix_ms(&self) -> Option<u64> {
        Some(self.unix_origin_ms + self.now().as_millis())
    }

    fn sleep(&self, d: Duration) {
        self.advance(d);
    }

    fn wait<'a, T>(
        &self,
        _cv: &Condvar,
        guard: MutexGuard<'a, T>,
        d: Duration,
    ) -> MutexGuard<'a, T> {
        self.advance(d);
        guard
    }
}
