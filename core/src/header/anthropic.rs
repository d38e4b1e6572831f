//! Anthropic's rate-limit fields, behind the `anthropic` feature.
//!
//! `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
//! become the policies `requests` (which the limiter paces by), `tokens`, `input-tokens` and
//! `output-tokens` (unit [`QuotaUnit::Other`]: reported, not enforced on request counts). A
//! reset is an RFC 3339 time (`2026-12-01T12:00:30Z`, fractional seconds and offsets allowed),
//! read against the response's `Date` (or the caller's clock) and rounded up to whole seconds.

use super::date::civil;
use super::ratelimit::{Fact, Reset};
use super::vendor::{Statement, named_fact};
use super::{QuotaUnit, Reason, parse_digits};
use crate::time::UnixTime;

/// Which policy an Anthropic field is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AnthropicPolicy {
    Requests,
    Tokens,
    InputTokens,
    OutputTokens,
}

/// The fact an `anthropic-ratelimit-*` value states.
pub(crate) fn anthropic_field(
    policy: AnthropicPolicy,
    statement: Statement,
    value: &[u8],
) -> Result<Fact<'static>, Reason> {
    let (name, unit): (&'static [u8], _) = match policy {
        AnthropicPolicy::Requests => (b"requests", QuotaUnit::Requests),
        AnthropicPolicy::Tokens => (b"tokens", QuotaUnit::Other),
        AnthropicPolicy::InputTokens => (b"input-tokens", QuotaUnit::Other),
        AnthropicPolicy::OutputTokens => (b"output-tokens", QuotaUnit::Other),
    };
    let reset = |v: &[u8]| rfc3339(v).map(Reset::At);
    named_fact(name, unit, statement, value, reset, Reason::NotADate)
}

/// An RFC 3339 date-time (`2026-12-01T12:00:30Z`, `2026-12-01t12:00:30.25+01:00`), rounded up
/// to the whole second: a reset read from it is never early.
pub(crate) fn rfc3339(v: &[u8]) -> Option<UnixTime> {
    let digits = |at: usize, len: usize| -> Option<i32> {
        let part = v.get(at..at + len)?;
        if part.iter().all(u8::is_ascii_digit) {
            parse_digits(part).and_then(|n| i32::try_from(n).ok())
        } else {
            None
        }
    };
    let sep = |at: usize, allowed: &[u8]| v.get(at).is_some_and(|b| allowed.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut partial = false;
    if v.get(at) == Some(&b'.') {
        let fraction = v
            .get(at + 1..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if fraction == 0 {
            return None;
        }
        partial = v[at + 1..at + 1 + fraction].iter().any(|&b| b != b'0');
        at += 1 + fraction;
    }
    let offset = match v.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            let _ = (h1, h2, m1, m2);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let local = civil(year, month, day, hour * 3600 + minute * 60 + second)?;
    Some(UnixTime::from_secs(local - offset + i64::from(partial)))
}

#[cfg(test)]
mod tests {
    use super::rfc3339;
    use crate::time::UnixTime;

    #[test]
    fn rfc3339_times_round_up_and_honour_offsets() {
        let at = |s: &str| rfc3339(s.as_bytes()).map(UnixTime::as_secs);
        // 2026-12-01T12:00:30Z: ten days and 30 s after 2026-11-21T12:00:00Z, 1,795,262,400.
        let t = 1_795_262_400 + 10 * 86_400 + 30;
        assert_eq!(at("2026-12-01T12:00:30Z"), Some(t));
        assert_eq!(at("2026-12-01t12:00:30z"), Some(t));
        assert_eq!(at("2026-12-01T12:00:29.25Z"), Some(t));
        assert_eq!(at("2026-12-01T12:00:30.000Z"), Some(t));
        assert_eq!(at("2026-12-01T13:00:30+01:00"), Some(t));
        assert_eq!(at("2026-12-01T11:30:30-00:30"), Some(t));
        for bad in [
            "",
            "2026-12-01",
            "2026-12-01T12:00:30",
            "2026-13-01T12:00:30Z",
            "2026-02-30T12:00:30Z",
            "2026-12-01T24:00:30Z",
            "2026-12-01T12:00:30.Z",
            "2026-12-01T12:00:30+1:00",
            "2026-12-01T12:00:30Z ",
            "+026-12-01T12:00:30Z",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }
}
