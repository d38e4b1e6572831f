//! A limiter's state as bytes, so a run from cron or a device after a reboot does not forget
//! what the identity spent.
//!
//! The form is compact and versioned, written into and read from the caller's buffer (no
//! allocation). Times are stored relative to the moment of saving, and the wall clock at that
//! moment is stored too: restoring on another monotonic clock (a new process, a rebooted
//! device) moves every instant by the wall-clock time that passed. A wall clock that went
//! backwards counts as no time passed, which keeps windows full for longer, never shorter.
//!
//! ```
//! use headroom_core::limiter::{Config, Limiter};
//! use headroom_core::time::{Duration, Instant};
//! use headroom_core::window::{Log, Window};
//!
//! let new = || -> Limiter<Window<Log<8>>> {
//!     Limiter::new(Window::exact(2, Duration::from_secs(60)), Config::DEFAULT)
//! };
//! let mut first_run = new();
//! for t in [0, 10] {
//!     let g = first_run.try_acquire(Instant::from_millis(t)).unwrap();
//!     first_run.release(g);
//! }
//! let mut buf = [0u8; 128];
//! let n = first_run.save(Instant::from_millis(20), 1_800_000_000_000, &mut buf).unwrap();
//!
//! // A new process, 5 s later by the wall clock, its monotonic clock starting again at 0.
//! let mut second_run = new();
//! second_run.restore(Instant::from_millis(0), 1_800_000_005_000, &buf[..n]).unwrap();
//! let denied = second_run.try_acquire(Instant::from_millis(0)).unwrap_err();
//! // The first grant was 25 s ago; it leaves the window in 35 s (plus the guard).
//! assert!(denied.until >= Instant::from_millis(35_000));
//! ```

use super::{Budget, Kind, Limiter, ServerCount, Tuning};
use crate::cost::Key;
use crate::sat_u32;
use crate::time::{Duration, Instant};
use crate::window::{Crate, MaybeQuota, Windows};
use core::fmt;

/// The first bytes of a saved state: a name and the form's version.
const MAGIC: [u8; 4] = *b"HRs\x02";
/// Bytes of the head: magic, wall clock, flags, pause, the in-flight cap.
const HEAD: usize = 4 + 8 + 1 + 4 + 1;
/// Bytes of one budget.
const BUDGET: usize = 4 * 4 + 2 * 5 + 2;
/// Bytes of a window's rule and its count of grant groups.
const RULE: usize = 4 * 3 + 2 + 2;
/// Bytes of one group of grants: age and count.
const GROUP: usize = 4 + 2;

/// Why a state could not be saved or restored. Restoring checks the whole input before it
/// changes anything, so a failed restore leaves the limiter as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StateError {
    /// The buffer cannot hold the state; `needed` bytes would.
    BufferTooSmall {
        /// Bytes the state takes.
        needed: usize,
    },
    /// Not a saved state, or one of a version this build does not read.
    NotAState,
    /// The input ends before the state does, or goes on after it.
    Truncated,
    /// Saved from a limiter with other windows or fewer budget slots.
    Mismatch,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::BufferTooSmall { needed } => {
                write!(
                    f,
                    "the buffer is too small for the limiter state ({needed} bytes needed)"
                )
            }
            StateError::NotAState => {
                f.write_str("not a headroom limiter state (or another version)")
            }
            StateError::Truncated => {
                f.write_str("the limiter state is truncated or has trailing bytes")
            }
            StateError::Mismatch => {
                f.write_str("the limiter state was saved by a limiter with other windows")
            }
        }
    }
}

impl core::error::Error for StateError {}

/// Writes little-endian fields into a buffer whose size was checked before.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.at..self.at + b.len()) {
            dst.copy_from_slice(b);
        }
        self.at += b.len();
    }
}

/// Reads little-endian fields; any read past the end marks the input truncated.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    short: bool,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            at: 0,
            short: false,
        }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        match self.buf.get(self.at..self.at + N) {
            Some(src) => out.copy_from_slice(src),
            None => self.short = true,
        }
        self.at += N;
        out
    }

    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
}

/// Milliseconds from `now` until `t`, 0 when it has passed.
fn until(now: Instant, t: Instant) -> u32 {
    sat_u32(t.saturating_duration_since(now).as_millis())
}

/// Milliseconds from `t` to `now`.
fn age(now: Instant, t: Instant) -> u32 {
    sat_u32(now.saturating_duration_since(t).as_millis())
}

impl<W: Windows, const B: usize, C: Tuning> Limiter<W, B, C> {
    /// Bytes [`Limiter::save`] needs at `now`.
    pub fn saved_len(&self, now: Instant) -> usize {
        let mut len = HEAD + 1 + B * BUDGET + 1;
        let guard = self.config().guard;
        self.windows.each(|i, rule, _| {
            len += RULE;
            if !rule.is_unset() {
                let length = super::effective_length(rule, guard);
                self.windows.live_grants(i, now, length, &mut |_, n| {
                    len += GROUP * n.div_ceil(u32::from(u16::MAX)) as usize;
                });
            }
        });
        len
    }

    /// Writes the state at `now` (this limiter's clock) and `unix_ms` (the wall clock) into
    /// `buf`, returning the bytes written. Requests in flight stay counted as spent in the
    /// server budgets: their responses will never be observed by the restored limiter.
    pub fn save(&self, now: Instant, unix_ms: u64, buf: &mut [u8]) -> Result<usize, StateError> {
        let now = now.max(self.last_now);
        let needed = self.saved_len(now);
        if buf.len() < needed {
            return Err(StateError::BufferTooSmall { needed });
        }
        let mut w = Writer { buf, at: 0 };
        w.bytes(&MAGIC);
        w.bytes(&unix_ms.to_le_bytes());
        w.bytes(&[u8::from(self.heard)]);
        w.bytes(&until(now, self.paused_until).to_le_bytes());
        w.bytes(&[self.max_in_flight]);
        w.bytes(&[B as u8]);
        for b in &self.budgets {
            for v in [
                b.count.floor,
                b.count.base,
                b.count.ours,
                until(now, b.until),
            ] {
                w.bytes(&v.to_le_bytes());
            }
            let c = &b.count;
            for v in [c.name_hash, c.carried, c.carried_ours, c.uncounted, b.key.0] {
                w.bytes(&v.to_le_bytes());
            }
            w.bytes(&[u8::from(b.awaiting_probe), b.kind as u8]);
        }
        w.bytes(&[self.windows.count() as u8]);
        let guard = self.config().guard;
        self.windows.each(|i, rule, _| {
            let mut groups = 0u16;
            let length = super::effective_length(rule, guard);
            if !rule.is_unset() {
                self.windows.live_grants(i, now, length, &mut |_, n| {
                    groups += n.div_ceil(u32::from(u16::MAX)) as u16;
                });
            }
            for v in [
                rule.length_ms,
                rule.local_quota.or_max(),
                rule.server_quota.or_max(),
            ] {
                w.bytes(&v.to_le_bytes());
            }
            w.bytes(&rule.name_hash.to_le_bytes());
            w.bytes(&groups.to_le_bytes());
            if !rule.is_unset() {
                self.windows.live_grants(i, now, length, &mut |at, mut n| {
                    while n > 0 {
                        let part = n.min(u32::from(u16::MAX));
                        w.bytes(&age(now, at).to_le_bytes());
                        w.bytes(&(part as u16).to_le_bytes());
                        n -= part;
                    }
                });
            }
        });
        Ok(w.at)
    }

    /// Replaces this limiter's state with one [`Limiter::save`] wrote, read at `now` (this
    /// limiter's clock) and `unix_ms` (the wall clock). The windows configured on this limiter
    /// keep their configured quotas; what was learned from the server (policies, budgets,
    /// pauses) and every grant still inside a window come from the saved state. On an error
    /// nothing changes.
    pub fn restore(&mut self, now: Instant, unix_ms: u64, state: &[u8]) -> Result<(), StateError> {
        self.check(state)?;
        let mut r = Reader::new(state);
        r.take::<4>();
        let passed = unix_ms.saturating_sub(r.u64());
        // The instant of saving on this limiter's clock (instants before its origin become
        // the origin: later, so windows free no earlier).
        let saved = Instant::from_millis(now.as_millis().saturating_sub(passed));
        let past = |ms: u32| Instant::from_millis(saved.as_millis().saturating_sub(u64::from(ms)));
        let future = |ms: u32| saved + Duration::from_millis(u64::from(ms));
        self.heard = r.u8() != 0;
        self.paused_until = future(r.u32());
        self.max_in_flight = r.u8();
        self.in_flight = 0;
        self.in_flight_bytes = 0;
        self.last_now = self.last_now.max(now);
        // The last grant's time is not saved: taken as now, paced grants resume no earlier.
        self.last_grant = self.last_now;
        r.u8();
        for b in self.budgets.iter_mut() {
            let (floor, base, ours) = (r.u32(), r.u32(), r.u32());
            let until_ms = r.u32();
            let name_hash = r.u16();
            let count = ServerCount {
                name_hash,
                floor,
                base,
                ours,
                carried: r.u16(),
                carried_ours: r.u16(),
                uncounted: r.u16(),
            };
            *b = Budget {
                count,
                until: if until_ms == 0 {
                    Instant::ZERO
                } else {
                    future(until_ms)
                },
                key: Key(r.u16()),
                awaiting_probe: r.u8() != 0,
                kind: Kind::from_u8(r.u8()),
            };
        }
        r.u8();
        let guard = self.config().guard;
        self.windows.each_mut(Crate(()), |_, rule, track| {
            let length_ms = r.u32();
            let _local = r.u32();
            let server = r.u32();
            let name_hash = r.u16();
            if !rule.is_local() {
                rule.length_ms = length_ms;
            }
            rule.server_quota = if server == u32::MAX {
                MaybeQuota::NONE
            } else {
                MaybeQuota::of(server)
            };
            rule.name_hash = name_hash;
            track.clear();
            let length = super::effective_length(rule, guard);
            for _ in 0..r.u16() {
                let at = past(r.u32());
                for _ in 0..r.u16() {
                    track.record(at, length);
                }
            }
        });
        Ok(())
    }

    /// Checks a whole saved state against this limiter's shape before anything is restored.
    fn check(&self, state: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(state);
        if state.len() < HEAD || r.take::<4>() != MAGIC {
            return Err(StateError::NotAState);
        }
        r.take::<{ HEAD - 4 }>();
        let budgets = usize::from(r.u8());
        if budgets != B {
            return Err(StateError::Mismatch);
        }
        r.at += budgets * BUDGET;
        if r.u8() as usize != self.windows.count() {
            return if r.short {
                Err(StateError::Truncated)
            } else {
                Err(StateError::Mismatch)
            };
        }
        for _ in 0..self.windows.count() {
            r.at += RULE - 2;
            let groups = usize::from(r.u16());
            r.at += groups * GROUP;
        }
        if r.short || r.at != state.len() {
            return Err(StateError::Truncated);
        }
        Ok(())
    }
}
