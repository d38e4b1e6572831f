//! OpenAI's (and Azure OpenAI's) rate-limit fields, behind the `openai` feature.
//!
//! | field | reduced to |
//! |---|---|
//! | `x-ratelimit-limit-requests` / `-tokens` | the quota of the policy named `requests` / `tokens` |
//! | `x-ratelimit-remaining-requests` / `-tokens` | what remains of it |
//! | `x-ratelimit-reset-requests` / `-tokens` | when it is whole again: a Go duration (`1s`, `6m0s`, `1m30.5s`, `20ms`), rounded up to whole seconds |
//! | `retry-after-ms` | the wait, in milliseconds |
//!
//! The `requests` policy counts requests, so the limiter paces by it; `tokens` counts tokens
//! ([`QuotaUnit::Other`]), so it is reported but not enforced on request counts. Neither
//! names a window: a spent policy holds requests until its reset.

use super::ratelimit::{Fact, Reset};
use super::vendor::{Statement, named_fact};
use super::{QuotaUnit, Reason, parse_digits};

/// The fact an `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` value states.
pub(crate) fn openai_field(
    statement: Statement,
    tokens: bool,
    value: &[u8],
) -> Result<Fact<'static>, Reason> {
    let (name, unit): (&'static [u8], _) = if tokens {
        (b"tokens", QuotaUnit::Other)
    } else {
        (b"requests", QuotaUnit::Requests)
    };
    let reset = |v: &[u8]| go_duration_secs(v).map(|s| Reset::Delta(crate::sat_u32(s)));
    named_fact(name, unit, statement, value, reset, Reason::NotADuration)
}

/// A Go `time.Duration` (`300ms`, `1.5h`, `2h45m`, `1m30.5s`; units `ns`, `us`, `µs`, `ms`, `s`,
/// `m`, `h`), in whole seconds rounded up: a client may come back late, never early. `0` alone
/// is zero, as in Go; a sign, a bare number or an unknown unit is `None`.
pub(crate) fn go_duration_secs(v: &[u8]) -> Option<u64> {
    if v == b"0" {
        return Some(0);
    }
    let mut rest = v;
    let mut ns: u128 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
        let whole_len = digits(rest);
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.split_first() {
            Some((b'.', tail)) => tail.split_at(digits(tail)),
            _ => (&after[..0], after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let unit_len = after
            .iter()
            .take_while(|&&b| b.is_ascii_alphabetic() || matches!(b, 0xc2 | 0xb5 | 0xce | 0xbc))
            .count();
        let (unit, tail) = after.split_at(unit_len);
        let per: u128 = match unit {
            b"ns" => 1,
            // `µs` and `μs` (the micro sign and the Greek mu, as Go accepts both) in UTF-8.
            b"us" | [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole = if whole.is_empty() {
            0
        } else {
            parse_digits(whole)?
        };
        ns = ns.saturating_add(u128::from(whole).saturating_mul(per));
        // The fraction's first 18 digits, rounded up by the rest.
        let kept = &fraction[..fraction.len().min(18)];
        if !kept.is_empty() {
            let scale = 10u128.pow(kept.len() as u32);
            let part = u128::from(parse_digits(kept)?);
            let dropped = fraction[kept.len()..].iter().any(|&b| b != b'0');
            ns = ns.saturating_add((part * per).div_ceil(scale) + u128::from(dropped));
        }
        rest = tail;
    }
    Some(u64::try_from(ns.div_ceil(1_000_000_000)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::go_duration_secs;

    #[test]
    fn go_durations_round_up_to_seconds() {
        let cases: [(&str, u64); 14] = [
            ("1s", 1),
            ("6m0s", 360),
            ("1m30.5s", 91),
            ("20ms", 1),
            ("1h2m3s", 3723),
            ("0", 0),
            ("0s", 0),
            ("59.999s", 60),
            ("2m59.56s", 180),
            ("1.5h", 5400),
            ("300ms", 1),
            ("1000ms", 1),
            ("1001ms", 2),
            (".5s", 1),
        ];
        for (v, secs) in cases {
            assert_eq!(go_duration_secs(v.as_bytes()), Some(secs), "{v}");
        }
        assert_eq!(go_duration_secs("2µs".as_bytes()), Some(1));
        assert_eq!(go_duration_secs("2\u{3bc}s".as_bytes()), Some(1));
        for bad in [
            "", "s", "1", "-1s", "+1s", "1x", "1 s", "1s ", "1.s.", "..5s", "1e3s",
        ] {
            assert_eq!(go_duration_secs(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(go_duration_secs(b"99999999999999999999h"), Some(u64::MAX));
    }
}
