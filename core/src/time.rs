//! Monotonic time in milliseconds, supplied by the caller.
//!
//! The core never reads a clock: every operation takes `now`. Adapters convert their clock
//! (`std::time::Instant`, `embassy_time::Instant`) into an [`Instant`] counted in milliseconds from
//! any fixed origin. All arithmetic saturates, so no sequence of values can overflow or panic.
//!
//! ```
//! use headroom_core::time::{Duration, Instant};
//! let t = Instant::from_millis(1_000);
//! assert_eq!(t + Duration::from_secs(2), Instant::from_millis(3_000));
//! assert_eq!(t.saturating_duration_since(Instant::from_millis(5_000)), Duration::ZERO);
//! assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
//! ```

use core::ops::{Add, Sub};

/// A point on the caller's monotonic clock, in milliseconds since an arbitrary origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

/// A span of time in milliseconds, held in 32 bits: at most [`Duration::MAX`], 49.7 days
/// (`u32::MAX` ms), to which longer spans saturate. Every wait the limiter takes is capped far
/// below that ([`crate::Config::max_pause`]: 24 h by default) and a window's length is at most
/// that, so nothing is lost, and 32 bits keep a device's time arithmetic in single registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(u32);

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant(0);
    /// The latest representable instant; used as "never".
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `ms` milliseconds after the origin.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self`, or zero when `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// Milliseconds from `earlier` to `self` (0 when `earlier` is later), in full: a
    /// [`Duration`] stops at 49.7 days, and "never" ([`Instant::MAX`]) must stay further off.
    pub(crate) const fn millis_since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// `self + d`, saturating at [`Instant::MAX`].
    pub const fn saturating_add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0 as u64))
    }

    /// `self - d`, saturating at [`Instant::ZERO`].
    pub const fn saturating_sub(self, d: Duration) -> Instant {
        Instant(self.0.saturating_sub(d.0 as u64))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);
    /// The longest representable span: `u32::MAX` ms, 49.7 days.
    pub const MAX: Duration = Duration(u32::MAX);

    /// A span of `ms` milliseconds (saturating at [`Duration::MAX`]).
    pub const fn from_millis(ms: u64) -> Self {
        Duration(if ms > u32::MAX as u64 {
            u32::MAX
        } else {
            ms as u32
        })
    }

    /// A span of `s` seconds (saturating at [`Duration::MAX`]).
    pub const fn from_secs(s: u64) -> Self {
        // Compared, then multiplied in 32 bits: no 64-bit multiply on a device.
        if s > (u32::MAX / 1000) as u64 {
            Duration::MAX
        } else {
            Duration(s as u32 * 1000)
        }
    }

    /// The span in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0 as u64
    }

    /// The span in milliseconds, as held.
    pub(crate) const fn millis(self) -> u32 {
        self.0
    }

    /// The span in whole seconds, rounded up (a wait of 1.2 s is reported as 2 s).
    pub const fn as_secs_ceil(self) -> u64 {
        // A 32-bit division: Cortex-M has the instruction.
        self.0.div_ceil(1000) as u64
    }

    /// `self * n`, saturating.
    pub const fn saturating_mul(self, n: u64) -> Duration {
        Duration::from_millis((self.0 as u64).saturating_mul(n))
    }

    /// `self + other`, saturating.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }

    /// `self - other`, or zero.
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }

    /// The smaller of two spans (usable in `const` contexts).
    pub const fn min(self, other: Duration) -> Duration {
        if self.0 <= other.0 { self } else { other }
    }
}

/// A wall-clock time: whole seconds since 1970-01-01 00:00:00 UTC (negative before), as HTTP
/// dates and `Date` headers give it. Only a response's own time is compared with it, never the
/// monotonic [`Instant`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnixTime(i64);

impl UnixTime {
    /// `secs` seconds after the Unix epoch.
    pub const fn from_secs(secs: i64) -> Self {
        UnixTime(secs)
    }

    /// Seconds after the Unix epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// Whole seconds from `earlier` to `self`, or 0 when `earlier` is later.
    pub const fn secs_since(self, earlier: UnixTime) -> u64 {
        let d = self.0.saturating_sub(earlier.0);
        if d > 0 { d as u64 } else { 0 }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        self.saturating_sub(d)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        self.saturating_add(d)
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        self.saturating_sub(d)
    }
}

/// `n.div_ceil(1000)` by multiplication: a 32-bit device has no 64-bit divide instruction, and
/// the division would link a 64-bit division routine (about 1 KiB of flash on Cortex-M).
/// n / 1000 = (n / 8) / 125, and for y < 2^61, y / 125 = (y × ⌈2^68 / 125⌉) >> 68 exactly (the
/// rounding error y × (⌈2^68 / 125⌉ × 125 − 2^68) stays below 2^68).
pub(crate) const fn div_ceil_1000(n: u64) -> u64 {
    const M: u128 = (1u128 << 68).div_ceil(125);
    let q = ((((n >> 3) as u128) * M) >> 68) as u64;
    if q * 1000 == n { q } else { q + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_at_both_ends() {
        assert_eq!(Instant::MAX + Duration::MAX, Instant::MAX);
        assert_eq!(Instant::ZERO - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(Duration::from_secs(u64::MAX), Duration::MAX);
        assert_eq!(
            Duration::from_millis(u64::from(u32::MAX) + 1),
            Duration::MAX
        );
        assert_eq!(Duration::MAX.as_millis(), u64::from(u32::MAX));
        assert_eq!(Duration::MAX.saturating_mul(2), Duration::MAX);
        assert_eq!(Duration::MAX + Duration::from_millis(1), Duration::MAX);
        assert_eq!(
            Instant::MAX.saturating_duration_since(Instant::ZERO),
            Duration::MAX
        );
        assert_eq!(
            Duration::from_millis(1) - Duration::from_millis(2),
            Duration::ZERO
        );
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(Duration::from_millis(1).as_secs_ceil(), 1);
        assert_eq!(Duration::from_millis(1000).as_secs_ceil(), 1);
        assert_eq!(Duration::from_millis(1001).as_secs_ceil(), 2);
        assert_eq!(Duration::ZERO.as_secs_ceil(), 0);
        assert_eq!(Duration::MAX.as_secs_ceil(), u64::from(u32::MAX / 1000 + 1));
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let edges = [
            0,
            1,
            999,
            1000,
            1001,
            1999,
            2000,
            u64::MAX - 1000,
            u64::MAX - 1,
            u64::MAX,
        ];
        for n in edges.into_iter().chain((0..100_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        })) {
            assert_eq!(div_ceil_1000(n), n.div_ceil(1000), "{n}");
        }
    }
}
