//! Sliding windows over fixed-size rings: how many grants fall in the last `length`, and when the
//! next one fits.
//!
//! | type | memory | precision |
//! |---|---|---|
//! | [`Log<N>`] | 4 bytes × N (+12) | exact: one timestamp per grant; enforces quotas up to N |
//! | [`Buckets<S>`] | 2 bytes × S (+14) | counts per time bucket of `ceil(length / (S-1))`: a grant is released up to one bucket late, never early |
//!
//! For the SynthLink policy, `Log<60>` holds the minute window exactly (240 bytes) while a day of
//! 1,000 grants in `Buckets<56>` costs 128 bytes, releasing quota up to 26.2 minutes late
//! (86,400 s / 55): 1.8 % of the day window. A [`Window`] pairs a ring with its [`Rule`]: the locally configured quota and
//! length, and what the server has said.
//!
//! ```
//! use headroom_core::window::{Buckets, Log, Track};
//! use headroom_core::time::{Duration, Instant};
//! let (len, t0) = (Duration::from_secs(60), Instant::from_millis(0));
//! let mut log = Log::<2>::new();
//! assert!(log.record(t0, len));
//! assert!(log.record(t0 + Duration::from_secs(10), len));
//! // Full at quota 2: the next grant fits when the first one leaves the window.
//! assert_eq!(log.free_at(t0 + Duration::from_secs(20), len, 2), t0 + len);
//! ```

use crate::time::{Duration, Instant};

/// The mechanics of one sliding window. Implemented by [`Log`] and [`Buckets`] only (the trait
/// is sealed: the limiter's exactness rests on them); object safe so a limiter can hold windows
/// of different types.
pub trait Track: sealed::Ring {
    /// The largest quota this ring can enforce (a log cannot count past its capacity).
    fn max_quota(&self) -> u32;
    /// The earliest instant ≥ `now` at which fewer than `quota` grants lie in the last `length`.
    /// [`Instant::MAX`] when `quota` is 0.
    fn free_at(&self, now: Instant, length: Duration, quota: u32) -> Instant;
    /// Records a grant at `now`; false when the ring cannot count it. A full [`Log`] forgets its
    /// oldest grant to make room, which only makes it later to free (conservative).
    fn record(&mut self, now: Instant, length: Duration) -> bool;
    /// Forgets every grant (used when a learned window's length changes).
    fn clear(&mut self);
    /// True when the ring holds fewer than `quota` grants, live or not: then there is room
    /// whatever the time, and [`Track::free_at`] need not be asked.
    fn holds_fewer_than(&self, quota: u32) -> bool;
}

/// The traits that keep [`Track`] and [`Windows`] closed: public in a private module, so
/// nothing outside the crate can implement or call them.
mod sealed {
    use super::{Rule, Track};
    use crate::time::{Duration, Instant};

    /// Implemented by the crate's rings.
    pub trait Ring {}

    /// Required by the methods that change windows: no code outside the crate can make one,
    /// so none can reach them even through a `W: Windows` bound.
    #[derive(Clone, Copy)]
    pub struct Crate(pub(crate) ());

    /// The grants a ring holds, for saving a limiter's state. Apart from [`Track`] so that a
    /// limiter that is never saved links none of it (a `dyn Track`'s table holds every method).
    pub trait LiveGrants {
        /// Calls `f(at, count)` for the grants still inside the window at `now`, oldest first:
        /// recording `count` grants at each `at` into an empty ring rebuilds one that frees no
        /// earlier (how a limiter's saved state is restored).
        fn live_grants(&self, now: Instant, length: Duration, f: &mut dyn FnMut(Instant, u32));
    }

    /// What the limiter does with a set of windows.
    pub trait WindowSet {
        /// How many windows.
        fn count(&self) -> usize;
        /// Window `i`'s rule and ring.
        fn get(&self, i: usize) -> Option<(&Rule, &dyn Track)>;
        /// Window `i`'s rule and ring, mutably.
        fn get_mut(&mut self, i: usize, _: Crate) -> Option<(&mut Rule, &mut dyn Track)>;
        /// Calls `f(at, count)` for window `i`'s grants still inside it at `now` (see
        /// [`LiveGrants`]).
        fn live_grants(
            &self,
            i: usize,
            now: Instant,
            length: Duration,
            f: &mut dyn FnMut(Instant, u32),
        );

        /// Calls `f` with each window's index, rule and ring, in order. Tuples visit their
        /// windows one by one rather than through [`WindowSet::get`]'s index, so the check a
        /// request makes compiles to straight-line code.
        #[inline]
        fn each(&self, mut f: impl FnMut(usize, &Rule, &dyn Track))
        where
            Self: Sized,
        {
            for i in 0..self.count() {
                if let Some((rule, track)) = self.get(i) {
                    f(i, rule, track);
                }
            }
        }

        /// [`WindowSet::each`], mutably.
        #[inline]
        fn each_mut(&mut self, _: Crate, mut f: impl FnMut(usize, &mut Rule, &mut dyn Track))
        where
            Self: Sized,
        {
            for i in 0..self.count() {
                if let Some((rule, track)) = self.get_mut(i, Crate(())) {
                    f(i, rule, track);
                }
            }
        }
    }
}

pub(crate) use sealed::{Crate, LiveGrants, WindowSet};

/// Offsets are kept in `u32` milliseconds from `base`; the base moves forward well before they
/// could overflow (after ~24 days), so a log suits windows shorter than that.
const REBASE_AFTER_MS: u64 = 1 << 31;

/// An exact sliding log of up to `N` grant times.
///
/// `N` is below 65,535, checked at compile time:
///
/// ```compile_fail
/// let log = headroom_core::Log::<70_000>::new();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log<const N: usize> {
    base: Instant,
    stamps: [u32; N],
    head: u16,
    len: u16,
}

impl<const N: usize> Log<N> {
    /// An empty log. `N` must be below 65,536.
    pub const fn new() -> Self {
        // Checked when the type is built, as heapless checks its capacities: a `Log<70000>`
        // does not compile.
        const { assert!(N < u16::MAX as usize, "Log capacity must be below 65535") };
        Log {
            base: Instant::ZERO,
            stamps: [0; N],
            head: 0,
            len: 0,
        }
    }

    fn stamp(&self, i: usize) -> Option<Instant> {
        let slot = Self::wrap(usize::from(self.head) + i);
        let offset = *self.stamps.get(slot)?;
        Some(self.base + Duration::from_millis(u64::from(offset)))
    }

    /// Ring slot of position `i` < 2N counted from slot 0 (no division on the hot path).
    fn wrap(i: usize) -> usize {
        if i >= N { i - N } else { i }
    }

    /// Index of the first grant still inside the window at `now`.
    fn first_live(&self, now: Instant, length: Duration) -> usize {
        // A grant at offset `s` is live while `base + s + length > now`: as offsets from the
        // base, one 32-bit-wide sum per stamp.
        let now = now.millis_since(self.base);
        let len = usize::from(self.len);
        (0..len)
            .find(|&i| {
                let slot = Self::wrap(usize::from(self.head) + i);
                self.stamps
                    .get(slot)
                    .is_some_and(|&s| u64::from(s) + length.as_millis() > now)
            })
            .unwrap_or(len)
    }

    fn prune(&mut self, now: Instant, length: Duration) {
        let dead = self.first_live(now, length);
        self.head = Self::wrap(usize::from(self.head) + dead) as u16;
        self.len -= dead as u16;
    }

    fn rebase(&mut self, now: Instant, length: Duration) {
        if now.millis_since(self.base) < REBASE_AFTER_MS {
            return;
        }
        // Every live grant is later than now - length, so none underflows the new base.
        let new_base = now - length;
        let shift = new_base.millis_since(self.base);
        for i in 0..usize::from(self.len) {
            let slot = Self::wrap(usize::from(self.head) + i);
            if let Some(s) = self.stamps.get_mut(slot) {
                *s = crate::sat_u32(u64::from(*s).saturating_sub(shift));
            }
        }
        self.base = new_base;
    }
}

impl<const N: usize> Default for Log<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> sealed::Ring for Log<N> {}

impl<const N: usize> Track for Log<N> {
    fn max_quota(&self) -> u32 {
        N as u32
    }

    fn free_at(&self, now: Instant, length: Duration, quota: u32) -> Instant {
        let quota = quota.min(N as u32) as usize;
        if quota == 0 {
            return Instant::MAX;
        }
        if self.holds_fewer_than(quota as u32) {
            return now; // even if every held grant were live
        }
        let first = self.first_live(now, length);
        let live = usize::from(self.len) - first;
        if live < quota {
            return now;
        }
        // The oldest `live - quota + 1` grants must leave; the last of them sets the time.
        self.stamp(first + live - quota)
            .map_or(Instant::MAX, |t| t + length)
    }

    fn record(&mut self, now: Instant, length: Duration) -> bool {
        self.prune(now, length);
        if N == 0 {
            return false;
        }
        if usize::from(self.len) >= N {
            // Forget the oldest: the N newest grants free the window no earlier than all of them.
            self.head = Self::wrap(usize::from(self.head) + 1) as u16;
            self.len -= 1;
        }
        if self.len == 0 {
            self.base = now;
        }
        self.rebase(now, length);
        // In full, so that an offset too large for a stamp is seen not to fit.
        let offset = now.millis_since(self.base);
        let slot = Self::wrap(usize::from(self.head) + usize::from(self.len));
        match (self.stamps.get_mut(slot), u32::try_from(offset)) {
            (Some(s), Ok(off)) => *s = off,
            _ => return false,
        }
        self.len += 1;
        true
    }

    fn clear(&mut self) {
        self.len = 0;
        self.head = 0;
    }

    fn holds_fewer_than(&self, quota: u32) -> bool {
        u32::from(self.len) < quota.min(N as u32)
    }
}

impl<const N: usize> LiveGrants for Log<N> {
    fn live_grants(&self, now: Instant, length: Duration, f: &mut dyn FnMut(Instant, u32)) {
        let mut run: Option<(Instant, u32)> = None;
        for i in self.first_live(now, length)..usize::from(self.len) {
            let Some(t) = self.stamp(i) else { continue };
            run = match run {
                Some((at, n)) if at == t => Some((at, n + 1)),
                Some((at, n)) => {
                    f(at, n);
                    Some((t, 1))
                }
                None => Some((t, 1)),
            };
        }
        if let Some((at, n)) = run {
            f(at, n);
        }
    }
}

/// Grant counts per time bucket: `S` buckets of `ceil(length / (S - 1))` each.
///
/// A grant is counted while its bucket is among the last `S`, which is at least `length` after
/// any instant inside it, so quota is never released early; it may be released up to one bucket
/// late. `S` must be at least 2; lengths are taken up to `u32::MAX` ms (49.7 days).
///
/// Buckets are laid from the newest one's start, and the ring is walked without dividing: a
/// device's 32-bit core has no 64-bit divide instruction, and this runs on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
///
/// `S` is between 2 and 65,534, checked at compile time:
///
/// ```compile_fail
/// let one = headroom_core::Buckets::<1>::new();
/// ```
pub struct Buckets<const S: usize> {
    /// Start of the newest bucket, in ms.
    newest_start: u64,
    counts: [u16; S],
    /// The sum of `counts`, so that checking a window is O(1) while no bucket expires.
    total: u32,
    /// Ring slot of the newest bucket.
    head: u16,
}

impl<const S: usize> Buckets<S> {
    /// Empty buckets.
    pub const fn new() -> Self {
        const {
            assert!(S >= 2, "Buckets needs at least 2 buckets");
            assert!(
                S < u16::MAX as usize,
                "Buckets needs fewer than 65535 buckets"
            );
        };
        Buckets {
            newest_start: 0,
            counts: [0; S],
            total: 0,
            head: 0,
        }
    }

    fn width(length: Duration) -> u64 {
        let ms = crate::sat_u32(length.as_millis());
        u64::from(ms.div_ceil(S as u32 - 1).max(1))
    }

    /// Whole buckets from the newest one's start to `ms`: 0 inside it (or before it: a clock
    /// that went backwards lands in the newest bucket), at most `S` (all have expired by then).
    fn steps(&self, ms: u64, width: u64) -> usize {
        let mut delta = ms.saturating_sub(self.newest_start);
        if delta >= width.saturating_mul(S as u64) {
            return S;
        }
        let mut steps = 0;
        while delta >= width {
            delta -= width;
            steps += 1;
        }
        steps
    }

    /// The count of the bucket `age` buckets older than the newest (`age` < S).
    fn count(&self, age: usize) -> u32 {
        let head = usize::from(self.head);
        let slot = if age <= head {
            head - age
        } else {
            head + S - age
        };
        self.counts.get(slot).map_or(0, |&c| u32::from(c))
    }
}

impl<const S: usize> Default for Buckets<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const S: usize> sealed::Ring for Buckets<S> {}

impl<const S: usize> Track for Buckets<S> {
    fn max_quota(&self) -> u32 {
        u32::MAX
    }

    fn free_at(&self, now: Instant, length: Duration, quota: u32) -> Instant {
        if quota == 0 {
            return Instant::MAX;
        }
        if self.holds_fewer_than(quota) {
            return now; // even if every held bucket were live
        }
        let width = Self::width(length);
        let steps = self.steps(now.as_millis(), width);
        // Now `steps` buckets after the newest, the oldest `steps` held ones have expired.
        let live_ages = S - steps;
        let mut live = (live_ages..S).fold(self.total, |t, age| t.saturating_sub(self.count(age)));
        if live < quota {
            return now;
        }
        for age in (0..live_ages).rev() {
            live -= self.count(age);
            if live < quota {
                // That bucket stops counting once the current one is S buckets after it.
                let after = (S - age) as u64;
                return Instant::from_millis(
                    self.newest_start
                        .saturating_add(after.saturating_mul(width)),
                );
            }
        }
        Instant::MAX
    }

    fn record(&mut self, now: Instant, length: Duration) -> bool {
        let ms = now.as_millis();
        let width = Self::width(length);
        let steps = self.steps(ms, width);
        if steps > 0 {
            for _ in 0..steps {
                self.head = if usize::from(self.head) + 1 == S {
                    0
                } else {
                    self.head + 1
                };
                if let Some(c) = self.counts.get_mut(usize::from(self.head)) {
                    self.total -= u32::from(*c);
                    *c = 0;
                }
            }
            self.newest_start = if steps == S {
                ms // every bucket expired: lay them afresh from now
            } else {
                self.newest_start + steps as u64 * width
            };
        }
        match self.counts.get_mut(usize::from(self.head)) {
            Some(c) if *c < u16::MAX => *c += 1,
            _ => return false,
        }
        self.total += 1;
        true
    }

    fn clear(&mut self) {
        self.counts = [0; S];
        self.total = 0;
    }

    fn holds_fewer_than(&self, quota: u32) -> bool {
        self.total < quota
    }
}

impl<const S: usize> LiveGrants for Buckets<S> {
    fn live_grants(&self, now: Instant, length: Duration, f: &mut dyn FnMut(Instant, u32)) {
        let width = Self::width(length);
        let steps = self.steps(now.as_millis(), width);
        for age in (0..S.saturating_sub(steps)).rev() {
            let count = self.count(age);
            if count > 0 {
                let start = self.newest_start.saturating_sub(age as u64 * width);
                f(Instant::from_millis(start), count);
            }
        }
    }
}

/// What governs one window: the locally configured rule and what the server declared.
///
/// Every field of an unset rule is 0, as are the empty rings: a learned limiter starts as all
/// zero bits, so a device keeps a `static` one in `.bss` rather than copying an initial image
/// from flash (see [`crate::limiter::Limiter::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rule {
    /// Window length in milliseconds (0: not yet known).
    pub(crate) length_ms: u32,
    /// Locally configured quota (none: the window follows the server).
    pub(crate) local_quota: MaybeQuota,
    /// Quota the server declared for this window.
    pub(crate) server_quota: MaybeQuota,
    /// Hash of the server's name for this policy (0: unnamed or unknown).
    pub(crate) name_hash: u16,
}

/// A quota or none, held as the quota plus one (wrapping) so that none is 0 bits. A quota of
/// `u32::MAX` is none: no window can count that many grants anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct MaybeQuota(u32);

impl MaybeQuota {
    pub(crate) const NONE: MaybeQuota = MaybeQuota(0);

    pub(crate) const fn of(quota: u32) -> MaybeQuota {
        MaybeQuota(quota.wrapping_add(1))
    }

    /// The quota, `u32::MAX` for none (so that the tighter of two is their minimum).
    #[inline]
    pub(crate) const fn or_max(self) -> u32 {
        self.0.wrapping_sub(1)
    }
}

impl Rule {
    const fn local(quota: u32, length: Duration) -> Rule {
        let ms = length.as_millis();
        let length_ms = if ms > u32::MAX as u64 {
            u32::MAX
        } else {
            ms as u32
        };
        Rule {
            length_ms,
            local_quota: MaybeQuota::of(quota),
            server_quota: MaybeQuota::NONE,
            name_hash: 0,
        }
    }

    const LEARN: Rule = Rule {
        length_ms: 0,
        local_quota: MaybeQuota::NONE,
        server_quota: MaybeQuota::NONE,
        name_hash: 0,
    };

    /// The window length.
    pub const fn length(&self) -> Duration {
        Duration::from_millis(self.length_ms as u64)
    }

    /// True when neither a local rule nor a server policy defines this window yet.
    pub const fn is_unset(&self) -> bool {
        self.length_ms == 0
    }

    /// The quota in force: the tighter of the local and the server's, `None` when neither is set.
    #[inline]
    pub fn quota(&self) -> Option<u32> {
        let q = self.local_quota.or_max().min(self.server_quota.or_max());
        (q != u32::MAX && !self.is_unset()).then_some(q)
    }

    /// True when the window was configured locally (not only learned from the server).
    pub const fn is_local(&self) -> bool {
        self.local_quota.0 != MaybeQuota::NONE.0
    }
}

/// A ring paired with its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window<T> {
    pub(crate) rule: Rule,
    pub(crate) track: T,
}

impl<T> Window<T> {
    /// The window's rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }
}

impl<T: Track + Default> Window<T> {
    /// A window of `quota` grants per `length` over any ring (for code generic over `T`).
    pub fn configured(quota: u32, length: Duration) -> Self {
        Window {
            rule: Rule::local(quota, length),
            track: T::default(),
        }
    }

    /// A window learned from the server, over any ring.
    pub fn learned() -> Self {
        Window {
            rule: Rule::LEARN,
            track: T::default(),
        }
    }
}

impl<const N: usize> Window<Log<N>> {
    /// An exact window of `quota` grants per `length` (a quota above `N` is enforced as `N`).
    pub const fn exact(quota: u32, length: Duration) -> Self {
        Window {
            rule: Rule::local(quota, length),
            track: Log::new(),
        }
    }

    /// An exact window whose quota and length are learned from the server's `RateLimit-Policy`.
    pub const fn learned_exact() -> Self {
        Window {
            rule: Rule::LEARN,
            track: Log::new(),
        }
    }
}

impl<const S: usize> Window<Buckets<S>> {
    /// A bucketed window of `quota` grants per `length`.
    pub const fn bucketed(quota: u32, length: Duration) -> Self {
        Window {
            rule: Rule::local(quota, length),
            track: Buckets::new(),
        }
    }

    /// A bucketed window whose quota and length are learned from the server.
    pub const fn learned_bucketed() -> Self {
        Window {
            rule: Rule::LEARN,
            track: Buckets::new(),
        }
    }
}

/// A fixed set of windows, checked together. Implemented for one [`Window`], for tuples of up to
/// four windows of any ring types, and for arrays of one type; sealed (the limiter reads and
/// updates the windows through methods of its own).
pub trait Windows: WindowSet {
    /// How many windows.
    fn len(&self) -> usize {
        self.count()
    }

    /// True for a set of no windows (an empty array).
    fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Window `i`'s rule: its quota and length, configured or learned.
    fn rule(&self, i: usize) -> Option<&Rule> {
        self.get(i).map(|(rule, _)| rule)
    }
}

impl<W: WindowSet> Windows for W {}

impl<T: Track + LiveGrants> WindowSet for Window<T> {
    fn count(&self) -> usize {
        1
    }
    fn get(&self, i: usize) -> Option<(&Rule, &dyn Track)> {
        (i == 0).then_some((&self.rule, &self.track as &dyn Track))
    }
    fn get_mut(&mut self, i: usize, _: Crate) -> Option<(&mut Rule, &mut dyn Track)> {
        (i == 0).then_some((&mut self.rule, &mut self.track as &mut dyn Track))
    }
    fn live_grants(
        &self,
        i: usize,
        now: Instant,
        length: Duration,
        f: &mut dyn FnMut(Instant, u32),
    ) {
        if i == 0 {
            self.track.live_grants(now, length, f);
        }
    }
}

impl<T: Track + LiveGrants, const K: usize> WindowSet for [Window<T>; K] {
    fn count(&self) -> usize {
        K
    }
    fn get(&self, i: usize) -> Option<(&Rule, &dyn Track)> {
        self.as_slice()
            .get(i)
            .map(|w| (&w.rule, &w.track as &dyn Track))
    }
    fn get_mut(&mut self, i: usize, _: Crate) -> Option<(&mut Rule, &mut dyn Track)> {
        self.as_mut_slice()
            .get_mut(i)
            .map(|w| (&mut w.rule, &mut w.track as &mut dyn Track))
    }
    fn live_grants(
        &self,
        i: usize,
        now: Instant,
        length: Duration,
        f: &mut dyn FnMut(Instant, u32),
    ) {
        if let Some(w) = self.as_slice().get(i) {
            w.track.live_grants(now, length, f);
        }
    }
}

macro_rules! tuple_windows {
    ($k:expr; $($t:ident $i:tt),+) => {
        impl<$($t: Track + LiveGrants),+> WindowSet for ($(Window<$t>,)+) {
            fn count(&self) -> usize {
                $k
            }
            fn get(&self, i: usize) -> Option<(&Rule, &dyn Track)> {
                match i {
                    $($i => Some((&self.$i.rule, &self.$i.track as &dyn Track)),)+
                    _ => None,
                }
            }
            fn get_mut(&mut self, i: usize, _: Crate) -> Option<(&mut Rule, &mut dyn Track)> {
                match i {
                    $($i => Some((&mut self.$i.rule, &mut self.$i.track as &mut dyn Track)),)+
                    _ => None,
                }
            }
            fn live_grants(&self, i: usize, now: Instant, length: Duration, f: &mut dyn FnMut(Instant, u32)) {
                match i {
                    $($i => self.$i.track.live_grants(now, length, f),)+
                    _ => {}
                }
            }
            #[inline]
            fn each(&self, mut f: impl FnMut(usize, &Rule, &dyn Track)) {
                $(f($i, &self.$i.rule, &self.$i.track);)+
            }
            #[inline]
            fn each_mut(&mut self, _: Crate, mut f: impl FnMut(usize, &mut Rule, &mut dyn Track)) {
                $(f($i, &mut self.$i.rule, &mut self.$i.track);)+
            }
        }
    };
}

tuple_windows!(1; A 0);
tuple_windows!(2; A 0, B 1);
tuple_windows!(3; A 0, B 1, C 2);
tuple_windows!(4; A 0, B 1, C 2, D 3);

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn at(s: u64) -> Instant {
        Instant::from_millis(s * 1000)
    }

    #[test]
    fn log_is_exact_and_refuses_past_capacity() {
        let mut log = Log::<3>::new();
        assert!(log.record(at(0), MIN) && log.record(at(1), MIN) && log.record(at(2), MIN));
        assert_eq!(log.free_at(at(3), MIN, 3), at(60));
        assert!(log.record(at(3), MIN), "full: the oldest is forgotten");
        assert_eq!(log.free_at(at(3), MIN, 3), at(61), "later, never earlier");
        let mut log = Log::<3>::new();
        assert!(log.record(at(0), MIN) && log.record(at(1), MIN) && log.record(at(2), MIN));
        assert_eq!(
            log.free_at(at(3), MIN, 10),
            at(60),
            "quota above capacity enforced as N"
        );
        assert_eq!(log.free_at(at(60), MIN, 3), at(60));
        assert!(log.record(at(60), MIN), "the first grant has left");
        assert_eq!(log.free_at(at(60), MIN, 3), at(61));
        assert_eq!(log.free_at(at(60), MIN, 0), Instant::MAX);
    }

    #[test]
    fn log_survives_rebasing_after_weeks() {
        let mut log = Log::<2>::new();
        let start = at(30 * 86_400);
        assert!(log.record(start, MIN));
        assert!(log.record(start + Duration::from_secs(59), MIN));
        let later = at(60 * 86_400);
        assert_eq!(log.free_at(later, MIN, 2), later);
        for i in 0..4 {
            assert!(log.record(later + Duration::from_secs(i * 30), MIN));
        }
        assert_eq!(
            log.free_at(later + Duration::from_secs(90), MIN, 2),
            later + Duration::from_secs(120)
        );
    }

    #[test]
    fn buckets_release_late_never_early() {
        let day = Duration::from_secs(86_400);
        let mut b = Buckets::<4>::new(); // width = 28,800 s
        assert!(b.record(at(28_799), day)); // end of bucket 0
        assert_eq!(b.free_at(at(28_799), day, 1), at(4 * 28_800));
        assert!(
            b.free_at(at(28_799), day, 1) >= at(28_799) + day,
            "counted a full day at least"
        );
        assert_eq!(b.free_at(at(4 * 28_800), day, 1), at(4 * 28_800));
    }
}
