//! What the vendor families share: one field states one number about one named policy.

use super::ratelimit::{Fact, Name, Reset};
use super::{QuotaUnit, Reason, parse_digits, trim_ows};
use crate::sf::SfToken;

/// Which number a vendor's per-policy field states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Statement {
    /// The quota (`…-limit`).
    Limit,
    /// What remains of it (`…-remaining`).
    Remaining,
    /// When it is whole again (`…-reset`), read by the family's `reset`.
    Reset,
}

/// The fact a vendor field states about the policy `name`, counting `unit`: a number of
/// `1*DIGIT` (saturating), or a reset that `reset` reads (`bad_reset` when it cannot).
pub(crate) fn named_fact(
    name: &'static [u8],
    unit: QuotaUnit,
    statement: Statement,
    value: &[u8],
    reset: impl FnOnce(&[u8]) -> Option<Reset>,
    bad_reset: Reason,
) -> Result<Fact<'static>, Reason> {
    let v = trim_ows(value);
    let mut fact = Fact {
        name: Name::Token(SfToken(name)),
        unit,
        ..Fact::unnamed()
    };
    let number = || {
        parse_digits(v)
            .map(crate::sat_u32)
            .ok_or(Reason::NotANumber)
    };
    match statement {
        Statement::Limit => fact.quota = Some(number()?),
        Statement::Remaining => fact.remaining = Some(number()?),
        Statement::Reset => fact.reset = Some(reset(v).ok_or(bad_reset)?),
    }
    Ok(fact)
}
