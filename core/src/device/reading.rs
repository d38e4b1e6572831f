//! One response reduced to what the device path's limiter needs.

use super::list::{Member, read_list};
use crate::Response;
use crate::header::{RetryAfter, parse_digits, parse_http_date, parse_retry_after};
use crate::time::{Duration, UnixTime};

/// What one response says: its status, up to four policies (their name hashes and `q`, `w`,
/// `r`, `t`), and the server's delay. Read with [`Reading::of`], or in place with
/// [`Reading::fill`]; 96 bytes.
///
/// Read: `RateLimit-Policy` and `RateLimit` (the named policies of their List forms),
/// `Retry-After` (seconds or an HTTP-date, against `Date`, else the response's
/// `received_at`) and `Age` (a cached response's policies are not the server's now). With the
/// `legacy` feature also draft -07's `RateLimit` Dictionary, unnamed `RateLimit-Policy` items,
/// `RateLimit-Limit`/`-Remaining`/`-Reset` and `X-RateLimit-*`/`X-Rate-Limit-*` (`-Used` too;
/// a Unix-time reset against `Date`); with `json`, a 429's `retry_after` from its body.
///
/// ```
/// use headroom_core::device::Reading;
/// use headroom_core::{Duration, Response};
/// let headers = [("RateLimit", &br#""minute";r=0;t=12"#[..]), ("Retry-After", b"12")];
/// let reading = Reading::of(&Response::new(429, headers));
/// assert_eq!(reading.status(), 429);
/// assert_eq!(reading.retry_after(), Some(Duration::from_secs(12)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// 8-aligned, so clearing one is the double-word clear a device's task already links for its
// buffers and the limiter (`__aeabi_memclr8`), not a second routine: -172 B of flash.
#[repr(align(8))]
pub struct Reading {
    pub(crate) status: u16,
    pub(crate) members: [Member; 4],
    /// Whole seconds.
    pub(crate) retry_after: Option<u32>,
}

impl Default for Reading {
    fn default() -> Self {
        Reading::new()
    }
}

impl Reading {
    /// Reads `response`. A field that is not valid is ignored whole, as RFC 9651 has it; a field
    /// sent on several lines is read line by line, all or nothing; `Date`, `Age` and
    /// `Retry-After` sent twice are ignored, as their joined value would be invalid.
    ///
    /// A policy is known by a 16-bit hash of its name: two names with the same hash would be
    /// taken for one policy.
    pub fn of<'h, H>(response: &Response<'_, H>) -> Reading
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        let mut reading = const { Reading::new() };
        reading.fill(response);
        reading
    }

    /// Reads `response` into `self`, replacing what it held: [`Reading::of`] without moving
    /// the result (on a device a move is a block copy, which links a 156-byte copy routine).
    ///
    /// ```
    /// use headroom_core::device::Reading;
    /// use headroom_core::Response;
    /// let mut reading = Reading::new();
    /// reading.fill(&Response::new(503, [("Retry-After", &b"30"[..])]));
    /// assert_eq!(reading, Reading::of(&Response::new(503, [("Retry-After", &b"30"[..])])));
    /// ```
    pub fn fill<'h, H>(&mut self, response: &Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        // A constant, so it is a clear, not a copy of a value built on the stack.
        *self = const { Reading::new() };
        self.status = response.status.unwrap_or(0);
        read(response, self);
        // A 429's JSON body may say it where the headers do not.
        #[cfg(feature = "json")]
        if self.retry_after.is_none() && response.status == Some(429) {
            self.retry_after = response
                .body
                .and_then(crate::header::body_retry_after)
                .map(|d| d.millis().div_ceil(1000));
        }
    }

    /// Nothing read: status 0, no policies, no delay. [`Reading::fill`] reads into it.
    pub const fn new() -> Reading {
        Reading {
            status: 0,
            members: [(0, 0, 0, 0, 0); 4],
            retry_after: None,
        }
    }

    /// The response's status; 0 when unknown.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The server's delay (`Retry-After`, or with `json` a 429's `retry_after`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after.map(|s| Duration::from_secs(u64::from(s)))
    }
}

/// A field sent on several `lines`: each read as a List, all-or-nothing; members in order,
/// merged into `out` by name. (Not joined with ", " first, as RFC 9110 §5.3 has it: joining
/// needs a buffer a device zeroes. The two differ when a construct spans lines, a String say,
/// which this refuses.)
#[inline(never)]
fn lines<'a>(lines: impl Iterator<Item = &'a [u8]>, out: &mut [Member; 4], dict: bool) -> bool {
    let mut held = [(0u16, 0u32, 0u32, 0u32, 0u32); 4];
    let mut n = 0;
    for line in lines {
        let Some(end) = read_list(line, &mut held, n, dict) else {
            return false;
        };
        n = end;
    }
    for m in held.iter().take(n) {
        if let Some(o) = out.iter_mut().find(|o| o.0 == m.0 || o.0 == 0) {
            o.0 = m.0;
            if m.1 > 0 {
                o.1 = m.1
            }
            if m.2 > 0 {
                o.2 = m.2
            }
            if m.3 > 0 || m.4 > 0 {
                o.3 = m.3;
                o.4 = m.4
            }
        }
    }
    true
}

/// Whether a field's name is `name` (ASCII, case-insensitive). One function for every caller:
/// calling `eq_ignore_ascii_case` directly, LTO left the `legacy` fields a second copy (60 B).
fn same_name(field: &[u8], name: &[u8]) -> bool {
    field.eq_ignore_ascii_case(name)
}

/// The two List fields' names; `RateLimit` is the start of the other, so one string in flash.
const RATELIMIT_POLICY: &[u8] = b"ratelimit-policy";
const RATELIMIT: &[u8] = RATELIMIT_POLICY.split_at(9).0;

/// Reads the headers into `reading`: its policies, and `Retry-After` in seconds. `Date` (the
/// reference) and `Age` are found first; then each List's lines are read.
fn read<'h, H>(response: &Response<'_, H>, reading: &mut Reading)
where
    H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
{
    let out = &mut reading.members;
    let (mut date, mut age, mut ra) = (None, None, None);
    for (name, value) in response.headers.clone() {
        let n = name.as_bytes();
        // Told apart by length, then compared once.
        let (slot, field): (_, &[u8]) = match n.len() {
            4 => (&mut date, b"date"),
            3 => (&mut age, b"age"),
            11 => (&mut ra, b"retry-after"),
            _ => continue,
        };
        if !same_name(n, field) {
            continue;
        }
        // A singleton field sent twice joins to an invalid value, as `a, b` would be.
        *slot = Some(if slot.is_some() { &b","[..] } else { value });
    }
    let date: Option<UnixTime> = date
        .and_then(|v| parse_http_date(v, None))
        .or(response.received_at);
    let cached = age.and_then(parse_digits).is_some_and(|a| a > 0);
    if !cached {
        for (k, field) in [RATELIMIT_POLICY, RATELIMIT].into_iter().enumerate() {
            let of_field = || {
                let lines = response.headers.clone().into_iter();
                lines
                    .filter(move |(n, _)| same_name(n.as_bytes(), field))
                    .map(|(_, v)| v)
            };
            // Draft -07's `RateLimit` is a Dictionary where it is no List.
            if !lines(of_field(), out, false) && cfg!(feature = "legacy") && k == 1 {
                lines(of_field(), out, true);
            }
        }
        #[cfg(feature = "legacy")]
        legacy::read(response, date, out);
    }
    // In whole seconds, not through a `Duration`'s milliseconds: the limiter caps it at a day.
    reading.retry_after = ra.and_then(|v| {
        let secs = match parse_retry_after(v, date).ok()? {
            RetryAfter::Seconds(s) => s,
            RetryAfter::Date(at) => at.secs_since(date?),
        };
        Some(u32::try_from(secs).unwrap_or(u32::MAX))
    });
}

/// The pre-standard numeric fields: `RateLimit-Limit`/`-Remaining`/`-Reset`,
/// `X-RateLimit-*` (with `-Used`) and `X-Rate-Limit-*`, as one unnamed policy.
#[cfg(feature = "legacy")]
mod legacy {
    use super::{Member, read_list};
    use crate::Response;
    use crate::time::UnixTime;

    /// Which number a field named `name` carries (`q`, `r`, `t`, or `u`sed), read from its
    /// parts: `X-` (optional), `RateLimit-` (or, after `X-`, `Rate-Limit-`), then `Limit`,
    /// `Remaining`, `Reset` or (after `X-RateLimit-`) `Used`. (A table of the ten names takes
    /// more flash: 120 B of pointers besides their text.)
    fn kind(name: &str) -> Option<u8> {
        fn strip<'a>(n: &'a [u8], p: &str) -> Option<&'a [u8]> {
            let (head, rest) = n.split_at_checked(p.len())?;
            super::same_name(head, p.as_bytes()).then_some(rest)
        }
        let n = name.as_bytes();
        let (x, n) = strip(n, "x-").map_or((false, n), |rest| (true, rest));
        let (dashed, n) = match strip(n, "ratelimit-") {
            Some(rest) => (false, rest),
            None if x => (true, strip(n, "rate-limit-")?),
            None => return None,
        };
        // Told apart by length (and a first letter), then compared once.
        let (kind, word): (u8, &[u8]) = match (n.len(), n.first().map(|c| c | 0x20)) {
            (5, Some(b'l')) => (b'q', b"limit"),
            (9, _) => (b'r', b"remaining"),
            (5, _) => (b't', b"reset"),
            (4, _) if x && !dashed => (b'u', b"used"),
            _ => return None,
        };
        super::same_name(n, word).then_some(kind)
    }

    /// Reads them into the unnamed policy (hash 1) of `out`. A reset past 2001 is a Unix
    /// time, read against the response's `date`.
    pub(super) fn read<'h, H>(
        response: &Response<'_, H>,
        date: Option<UnixTime>,
        out: &mut [Member; 4],
    ) where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        let mut used = None;
        for (name, value) in response.headers.clone() {
            let Some(kind) = kind(name) else {
                continue;
            };
            // The value: an Integer (an Item; a List's first member, as servers send extra
            // windows after it).
            let mut held = [(0u16, 0u32, 0u32, 0u32, 0u32); 4];
            let first = read_list(value, &mut held, 0, false)
                .filter(|&n| n > 0 && held[0].0 == 1)
                .map(|_| held[0].1);
            let slot = out.iter().position(|o| o.0 == 1 || o.0 == 0);
            let (Some(v), Some(o)) = (first, slot.and_then(|i| out.get_mut(i))) else {
                continue;
            };
            o.0 = 1;
            match kind {
                b'q' => o.1 = v,
                b'r' => o.3 = v,
                b'u' => used = Some(v),
                _ => {
                    o.4 = match date {
                        Some(d) if v > 1_000_000_000 => {
                            v.saturating_sub(u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
                        }
                        _ => v,
                    }
                }
            }
        }
        if let (Some(u), Some(o)) = (used, out.iter_mut().find(|o| o.0 == 1))
            && o.3 == 0
        {
            o.3 = o.1.saturating_sub(u);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::kind;

        #[test]
        fn the_ten_names_and_no_others() {
            let names = [
                ("RateLimit-Limit", b'q'),
                ("ratelimit-remaining", b'r'),
                ("RATELIMIT-RESET", b't'),
                ("X-RateLimit-Limit", b'q'),
                ("x-ratelimit-remaining", b'r'),
                ("X-RateLimit-Reset", b't'),
                ("X-RateLimit-Used", b'u'),
                ("X-Rate-Limit-Limit", b'q'),
                ("x-rate-limit-remaining", b'r'),
                ("X-Rate-Limit-Reset", b't'),
            ];
            for (name, k) in names {
                assert_eq!(kind(name), Some(k), "{name}");
            }
            for name in [
                "RateLimit-Used",
                "X-Rate-Limit-Used",
                "Rate-Limit-Limit",
                "X-RateLimit-Limits",
                "X-RateLimit-",
                "X-RateLimit",
                "X-",
                "RateLimit",
                "RateLimit-Policy",
                "XRateLimit-Limit",
                "X-X-RateLimit-Limit",
                "",
            ] {
                assert_eq!(kind(name), None, "{name}");
            }
        }
    }
}
