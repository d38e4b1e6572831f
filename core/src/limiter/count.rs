//! The server's count of one policy's window, and what explains its fall: the measurement
//! both limiters share ([`crate::Limiter`]'s budgets and [`crate::device::Device`]'s).

/// The server's count of one policy's window (`RateLimit`'s `r`), as this client heard it, and
/// what explains its fall: our own requests, counted as their responses come, and other
/// clients' spending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct ServerCount {
    /// The policy's name hash (0: none yet).
    pub(crate) name_hash: u16,
    /// The lowest `r` heard in this server window: the freshest count of the server's.
    pub(crate) floor: u32,
    /// The `r` from which other clients' spending is measured (see [`ServerCount::others`]).
    pub(crate) base: u32,
    /// Our responses counted after `base`'s (those with `r` below it: the server's count only
    /// falls within a window). Added to with wrapping arithmetic (less code on a device than
    /// saturating): a wrap would take 4 billion of our own responses in one server window.
    pub(crate) ours: u32,
    /// Other clients' spending measured before `base`, and our responses over which it was.
    pub(crate) carried: u16,
    pub(crate) carried_ours: u16,
    /// Grants of ours that `floor` may not count yet: those in flight when it arrived, and
    /// those granted since. Each leaves when a response shows the server counted it.
    pub(crate) uncounted: u16,
}

impl ServerCount {
    /// Nothing heard.
    pub(crate) const EMPTY: ServerCount = ServerCount {
        name_hash: 0,
        floor: 0,
        base: 0,
        ours: 0,
        carried: 0,
        carried_ours: 0,
        uncounted: 0,
    };

    /// Grants left, counting all of ours in flight as spent.
    pub(crate) fn remaining(&self) -> u32 {
        self.floor.saturating_sub(u32::from(self.uncounted))
    }

    /// Units other clients of the identity spent in this window, at least: how far `r` fell
    /// from `base` beyond what our answered requests explain and all of ours in flight could.
    /// Each of our requests is subtracted once, however many responses overtake it, so a
    /// client alone never takes its own requests for another's.
    pub(crate) fn others(&self) -> u32 {
        let fall = self.base.saturating_sub(self.floor);
        let ours = self.ours.wrapping_add(u32::from(self.uncounted));
        u32::from(self.carried).saturating_add(fall.saturating_sub(ours))
    }

    /// Our responses over which [`ServerCount::others`] was measured.
    pub(crate) fn answered(&self) -> u32 {
        self.ours.wrapping_add(u32::from(self.carried_ours))
    }

    /// Starts measuring afresh from a count `r` that may miss `in_flight` of our grants,
    /// having already seen `others` units spent by other clients over `answered` responses.
    pub(crate) fn rebase(&mut self, r: u32, in_flight: u16, others: u32, answered: u32) {
        self.base = r;
        self.floor = r;
        self.ours = 0;
        self.carried = u16::try_from(others).unwrap_or(u16::MAX);
        self.carried_ours = u16::try_from(answered).unwrap_or(u16::MAX);
        self.uncounted = in_flight;
    }

    /// A count `r` from a response that may be of another server window: a lower count is a
    /// fresher one, and measuring starts again from it (what was measured is kept); a higher
    /// one is not taken.
    pub(crate) fn take_lower(&mut self, r: u32, in_flight: u16) {
        if r.saturating_sub(u32::from(in_flight)) < self.remaining() {
            self.rebase(r, in_flight, self.others(), self.answered());
        }
    }

    /// A response to one of ours from this budget's server window. Unless `sure` (windows
    /// under 4 s, whose responses may be the next window's), it only ever tightens.
    pub(crate) fn hear(&mut self, r: u32, in_flight: u16, sure: bool) {
        if r < self.base {
            self.ours = self.ours.wrapping_add(1);
        }
        let fresher = if sure {
            r < self.floor
        } else {
            r.saturating_sub(u32::from(in_flight)) < self.remaining()
        };
        if fresher {
            self.floor = r;
            self.uncounted = in_flight;
        } else if r > self.floor && sure {
            // Counted before `floor`'s request, so already in it.
            self.uncounted = self.uncounted.saturating_sub(1);
        }
    }

    /// Units other clients are expected to spend before a request granted now, with
    /// `in_flight` of ours on their way, reaches the server: what they spent per response of
    /// ours, times the responses that will come before its own, plus a unit of margin while
    /// that is under [`MARGIN_BELOW`] (see `Limiter::shared_reserve`).
    pub(crate) fn others_reserve(&self, in_flight: u16) -> u32 {
        self.reserve_of(self.others(), in_flight)
    }

    /// [`ServerCount::others_reserve`] with [`ServerCount::others`] already measured.
    pub(crate) fn reserve_of(&self, others: u32, in_flight: u16) -> u32 {
        if others == 0 {
            return 0;
        }
        let ahead = u32::from(in_flight) + 1;
        let expected = others.saturating_mul(ahead) / self.answered().max(1);
        expected + u32::from(expected < MARGIN_BELOW)
    }

    /// The gap after our last grant before the next, while other clients share this window:
    /// our part of what remains (as our responses are to their spending) over one second,
    /// however much of the window is left. Each client's reset is that uncertain, so a window
    /// is never spent before the last of them has started on it, and their decisions do not
    /// all fall on the same instant. `None` when nobody else is measured. (The callers leave
    /// out windows under 4 s, which that second is most of.)
    pub(crate) fn pace_gap(&self) -> Option<u32> {
        self.pace_gap_of(self.others())
    }

    /// [`ServerCount::pace_gap`] with [`ServerCount::others`] already measured.
    pub(crate) fn pace_gap_of(&self, others: u32) -> Option<u32> {
        let answered = self.answered().max(1);
        let (others, spread) = match others {
            // A first window with nothing carried: clients started with this one would not
            // show yet, so take its first half as shared with one as fast as us, over the
            // time processes or devices started together take to start.
            0 if self.carried_ours == 0
                && self.ours.wrapping_add(self.uncounted.into()) < self.base / 2 =>
            {
                (answered, STARTING_MS)
            }
            others => (others, ROUNDING_MS),
        };
        if others == 0 {
            return None;
        }
        // In 32 bits, as everything on a device's path (a product that saturates only paces
        // a client faster in absurd ranges).
        let ours = self.remaining().saturating_mul(answered) / answered.saturating_add(others);
        Some(spread / ours.max(1))
    }
}

/// The others' expected spending below which a unit of margin is added to it.
///
/// Their expected spending is rounded down, so a unit of margin keeps a client from sending
/// into the last unit when one or a few others share the window (without it, 2 clients on
/// windows of 30 per 10 s got 1.5 % 429s in the simulation). With many others the estimate
/// errs high by itself (it averages the window so far, counting peers that have since
/// stopped or run out of work), and a unit more, held back by every client, leaves units
/// unspent in every window: 8 clients on SynthLink's windows, one of them stopping halfway,
/// took 1.156× the ideal time with the margin always added and 1.032× with this bound, at
/// 0.0 % 429s either way (`cargo run --release -p headroom-benches --bin utilization`).
const MARGIN_BELOW: u32 = 6;

/// A client's `t` may be a whole second late: other clients of the identity may start on a
/// window that much later than it does.
const ROUNDING_MS: u32 = 1000;
/// How far apart clients started together (a shell loop, a fleet powering up) send their
/// first requests.
const STARTING_MS: u32 = 250;
