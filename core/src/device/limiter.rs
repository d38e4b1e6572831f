//! The device path's limiter: two windows of fixed shape, kept in sync with the server.

use super::list::Member;
use super::reading::Reading;
use crate::limiter::{Cause, Denied, Relation, ServerCount};
use crate::time::Instant;

/// The longest any wait is taken from a server (a `Retry-After`, a reset, a window): 24 h, in
/// milliseconds. A hostile server cannot make a device sleep for longer.
const MAX_PAUSE: u32 = 86_400_000;

/// The longest wait [`Device::acquire`] reports as worth taking: [`super::MAX_WAIT`].
const MAX_WAIT: u32 = super::MAX_WAIT.millis();

/// What the server said of one policy's quota (`RateLimit`'s `r` and `t`).
#[derive(Clone, Copy)]
struct Budget {
    /// The server's count (and the policy's name hash, a [`Member`]'s) and what explains its
    /// fall.
    count: ServerCount,
    /// The window's reset (offset, ms).
    until: u32,
    /// Heard, and no request granted since: the windows' own counts stay out of its way.
    probe: bool,
    /// A window shorter than 4 s: its resets are too coarse to tell windows apart.
    short: bool,
}

const UNHEARD: Budget = Budget {
    count: ServerCount::EMPTY,
    until: 0,
    probe: false,
    short: false,
};

/// A fixed-shape limiter for one identity on a device: a short window counted exactly (up
/// to 60 grants: a minute's quota, say) and a long one in 56 buckets (a day's), both learned
/// from `RateLimit-Policy` and kept in sync with `RateLimit`; the server's 429 pause; the
/// fleet's pace. 472 bytes, all zero bits when new (a `static` one costs no flash).
///
/// Times are `u32` millisecond offsets from a `u64` base, rebased as the clock moves on, so
/// a device's uptime never wraps them.
///
/// ```
/// use headroom_core::device::{Device, Reading};
/// use headroom_core::{Cause, Instant, Response};
/// let mut device = Device::new();
/// let t = Instant::from_millis(1_000);
/// assert!(device.acquire(t).is_ok());
/// // The first response tells the server's limits; until then, no other request goes.
/// assert!(device.acquire(t).is_err());
/// let headers = [
///     ("RateLimit-Policy", &br#""minute";q=2;w=60"#[..]),
///     ("RateLimit", br#""minute";r=1;t=60"#),
/// ];
/// device.observe(t, &Reading::of(&Response::new(200, headers)));
/// assert!(device.acquire(t).is_ok());
/// // The minute's quota is spent: the next request waits for the server's reset.
/// let denied = device.acquire(t).unwrap_err();
/// assert_eq!(denied.cause, Cause::ServerBudget);
/// assert!(denied.until > Instant::from_millis(60_000));
/// ```
pub struct Device {
    /// The clock's value that offset 0 stands for.
    base: u64,
    /// The short window's last grants (offsets), a ring written at `log_next`, `log_len` of
    /// them (at most 60).
    log: [u32; 60],
    log_next: u8,
    log_len: u8,
    /// The long window's grants in 56 buckets, the newest at `bucket_head`, which starts at
    /// `bucket_start`; `bucket_total` in all.
    buckets: [u16; 56],
    bucket_head: u8,
    bucket_start: u32,
    bucket_total: u32,
    /// The two windows: (length ms, quota, policy name hash); length 0 until learned.
    windows: [(u32, u32, u16); 2],
    /// The server's budgets of up to two policies.
    budgets: [Budget; 2],
    /// The server's pause (offset).
    paused_until: u32,
    /// Requests granted and not yet answered or released.
    in_flight: u16,
    /// A response came: the server's limits are known, or it sends none.
    heard: bool,
    /// The last grant (offset): the pace counts from it.
    last_grant: u32,
}

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

impl Device {
    /// Nothing learned, nothing granted.
    pub const fn new() -> Device {
        Device {
            base: 0,
            log: [0; 60],
            log_next: 0,
            log_len: 0,
            buckets: [0; 56],
            bucket_head: 0,
            bucket_start: 0,
            bucket_total: 0,
            windows: [(0, 0, 0); 2],
            budgets: [UNHEARD; 2],
            paused_until: 0,
            in_flight: 0,
            heard: false,
            last_grant: 0,
        }
    }

    /// Requests granted and not yet answered or released.
    pub fn in_flight(&self) -> u16 {
        self.in_flight
    }

    /// `now` as an offset from the base, rebasing first when it is 2³¹ ms or more past it.
    fn off(&mut self, now: u64) -> u32 {
        let d = now.wrapping_sub(self.base);
        if d >= 1 << 31 {
            // Rebase: every stored time moves back by the shift (a day behind now is kept).
            // (However far: a clock that starts at a Unix time, or a limiter left alone for
            // 50 days, moves more than 32 bits at once.)
            let shift = d - (1 << 30);
            self.base += shift;
            let shift = u32::try_from(shift).unwrap_or(u32::MAX);
            for s in self.log.iter_mut() {
                *s = s.saturating_sub(shift);
            }
            for b in self.budgets.iter_mut() {
                b.until = b.until.saturating_sub(shift);
            }
            self.bucket_start = self.bucket_start.saturating_sub(shift);
            self.paused_until = self.paused_until.saturating_sub(shift);
            self.last_grant = self.last_grant.saturating_sub(shift);
        }
        now.wrapping_sub(self.base) as u32
    }
    /// A bucket's span: 1/55 of the long window. Until that window is learned, grants stay in
    /// the newest bucket, to be counted once it is. Out of line: its two callers share it.
    #[inline(never)]
    fn width(&self) -> u32 {
        match self.windows[1].0 {
            0 => u32::MAX,
            len => (len / 55).max(1),
        }
    }
    /// Moves the buckets on to `t`, emptying those the long window has left behind.
    fn advance(&mut self, t: u32) {
        let w = self.width();
        while t.wrapping_sub(self.bucket_start) >= w && self.bucket_total > 0 {
            self.bucket_head = if self.bucket_head == 55 {
                0
            } else {
                self.bucket_head + 1
            };
            let c = &mut self.buckets[self.bucket_head as usize];
            self.bucket_total -= u32::from(*c);
            *c = 0;
            self.bucket_start = self.bucket_start.wrapping_add(w);
        }
        if self.bucket_total == 0 {
            self.bucket_start = t;
        }
    }
    /// Takes one request's grant at `now`, or says when one may go and what holds it back
    /// (nothing taken). A wait past [`super::MAX_WAIT`] is reported as not worth
    /// taking (`within_max_wait` false).
    pub fn acquire(&mut self, now: Instant) -> Result<(), Denied> {
        let now = now.as_millis();
        let t = self.off(now);
        // The constraint that lasts longest, and what it is.
        let mut worst = (t, Cause::Paused);
        let mut hold = |at: u32, cause| {
            if at > worst.0 {
                worst = (at, cause)
            }
        };
        hold(self.paused_until, Cause::Paused);
        if !self.heard && self.in_flight > 0 {
            hold(t + 250, Cause::Discovering);
        }
        for b in &self.budgets {
            if b.until > t {
                let others = b.count.others();
                let need = b.count.reserve_of(others, self.in_flight) + 1;
                if b.count.remaining() < need {
                    hold(b.until, Cause::ServerBudget);
                } else if let Some(gap) = b.count.pace_gap_of(others).filter(|_| !b.short) {
                    hold(self.last_grant.wrapping_add(gap), Cause::ServerBudget);
                }
            }
        }
        // A window whose policy the server's count governs is not counted here.
        let governed = |h: u16| {
            self.budgets
                .iter()
                .any(|b| b.count.name_hash == h && (b.until > t || b.probe))
        };
        let (l0, q0, h0) = self.windows[0];
        let (l1, q1, h1) = self.windows[1];
        let (free0, free1) = (!governed(h0), !governed(h1));
        // The q0-th last grant holds the next until it leaves the window and its guard (none
        // once it has: nothing is pruned).
        if q0 > 0 && free0 && u32::from(self.log_len) >= q0 {
            let back = self.log_next as usize + 60 - q0 as usize;
            let i = if back >= 60 { back - 60 } else { back };
            hold(self.log[i] + l0 + (l0 / 64).min(250), Cause::Window(0));
        }
        self.advance(t);
        if q1 > 0 && free1 && self.bucket_total >= q1 {
            let mut live = self.bucket_total;
            // From the oldest bucket, the one after the newest.
            let mut slot = usize::from(self.bucket_head);
            for age in 0..56u32 {
                slot = if slot == 55 { 0 } else { slot + 1 };
                live -= u32::from(self.buckets[slot]);
                if live < q1 {
                    let guard = (l1 / 64).min(250);
                    let free = self.bucket_start + (age + 1) * self.width() + guard;
                    hold(free, Cause::Window(1));
                    break;
                }
            }
        }
        let (until, cause) = worst;
        if until > t {
            return Err(Denied {
                until: Instant::from_millis(self.base + u64::from(until)),
                cause,
                within_max_wait: until - t <= MAX_WAIT,
            });
        }
        self.log[usize::from(self.log_next)] = t;
        self.log_next = if self.log_next == 59 {
            0
        } else {
            self.log_next + 1
        };
        self.log_len = (self.log_len + 1).min(60);
        self.buckets[self.bucket_head as usize] =
            self.buckets[self.bucket_head as usize].saturating_add(1);
        self.bucket_total += 1;
        for b in self.budgets.iter_mut() {
            if b.until <= t {
                b.probe = false
            } else {
                b.count.uncounted = b.count.uncounted.saturating_add(1)
            }
        }
        self.in_flight = self.in_flight.saturating_add(1);
        self.last_grant = t;
        Ok(())
    }
    /// Feeds back the response to a granted request, read with [`Reading::of`].
    pub fn observe(&mut self, now: Instant, reading: &Reading) {
        self.answer(
            now.as_millis(),
            reading.status,
            &reading.members,
            reading.retry_after,
        );
    }

    /// A granted request got no response. It stays counted: it may have reached the server,
    /// so it explains a fall of the server's `r` that must not be taken for another client's.
    pub fn release(&mut self, now: Instant) {
        self.answer(now.as_millis(), 0, &[], None);
    }

    /// A response's status and members ((name hash, `q`, `w` s, `r`, `t` s); 0 = absent):
    /// the windows learned, the budgets heard, the pause taken. Status 0: no response.
    #[inline(never)]
    fn answer(&mut self, now: u64, status: u16, members: &[Member], retry_after: Option<u32>) {
        let t = self.off(now);
        self.in_flight = self.in_flight.saturating_sub(1);
        if status == 0 {
            for b in self.budgets.iter_mut() {
                if b.until > t {
                    b.count.ours = b.count.ours.wrapping_add(1);
                }
            }
            return;
        }
        self.heard = true;
        let mut zero = false;
        for &(h, q, w, r, reset) in members {
            if q > 0 && w > 0 {
                let len = w.min(MAX_PAUSE / 1000) * 1000;
                // The window bound to its name, else one of its length, else a free one
                // that can count the whole quota (the log holds 60 grants), else any free one.
                let [w0, w1] = self.windows;
                let pick = if w0.2 == h && w0.0 != 0 {
                    Some(0)
                } else if w1.2 == h && w1.0 != 0 {
                    Some(1)
                } else if w0.0 == len {
                    Some(0)
                } else if w1.0 == len {
                    Some(1)
                } else if w0.0 == 0 && q <= 60 {
                    Some(0)
                } else if w1.0 == 0 {
                    Some(1)
                } else if w0.0 == 0 {
                    Some(0)
                } else {
                    None
                };
                if let Some(i) = pick {
                    let win = &mut self.windows[i];
                    // The short window's log holds grant times, whatever its length; the
                    // buckets' span follows the long window's, so a new length starts them
                    // afresh (a first one keeps what was granted before it was known).
                    if win.0 != len {
                        if i == 1 && win.0 != 0 {
                            self.buckets = [0; 56];
                            self.bucket_total = 0
                        }
                        win.0 = len;
                    }
                    win.1 = q;
                    win.2 = h;
                }
            }
            if reset > 0 || r > 0 {
                zero |= r == 0;
                let [w0, w1] = self.windows;
                let len = if w0.2 == h {
                    w0.0
                } else if w1.2 == h {
                    w1.0
                } else {
                    1000
                };
                let until = t + reset.min(MAX_PAUSE / 1000) * 1000 + (len / 64).min(1000);
                let in_flight = self.in_flight;
                let cur = self.budgets.iter().position(|b| b.count.name_hash == h);
                let idx = cur.unwrap_or_else(|| {
                    if self.budgets[0].until <= self.budgets[1].until {
                        0
                    } else {
                        1
                    }
                });
                let b = &mut self.budgets[idx];
                let short = len < 4000;
                if cur.is_some() && b.until > t {
                    let after = until.saturating_sub(b.until);
                    let before = b.until.saturating_sub(until);
                    match Relation::between(after, before, len) {
                        Relation::Past => continue,
                        Relation::Next => {}
                        Relation::Same => {
                            b.until = b.until.min(until);
                            b.count.hear(r, in_flight, !short);
                            continue;
                        }
                        Relation::Unsure => {
                            b.until = b.until.max(until);
                            b.count.take_lower(r, in_flight);
                            continue;
                        }
                    }
                }
                let (o, a) = if cur.is_some() {
                    (b.count.others() / 2, b.count.answered() / 2)
                } else {
                    (0, 0)
                };
                *b = Budget {
                    count: ServerCount {
                        name_hash: h,
                        ..ServerCount::EMPTY
                    },
                    until,
                    probe: true,
                    short,
                };
                b.count.rebase(r, in_flight, o, a);
            }
        }
        if matches!(status, 413 | 429 | 503) {
            let wait = match retry_after {
                Some(s) => s,
                None if status == 429 && !zero => 1,
                None => return,
            };
            self.paused_until = self.paused_until.max(t + wait.min(MAX_PAUSE / 1000) * 1000);
        }
    }
}
