//! Shopify's REST call limit, behind the `shopify` feature: `X-Shopify-Shop-Api-Call-Limit:
//! 32/40` (calls in the leaky bucket / its size) becomes the policy `call-limit`.
//!
//! The bucket leaks at least one call a second on every plan (two on the standard one), so the
//! fact says: `limit − used` calls may go within the next second. A spent bucket holds callers
//! a second, then one call probes it; the bucket's own leak is never outrun.

use super::ratelimit::{Fact, Name, Reset};
use super::{Reason, parse_digits, trim_ows};
use crate::sf::SfToken;

/// The fact a `used/limit` value states.
pub(crate) fn call_limit(value: &[u8]) -> Result<Fact<'static>, Reason> {
    let v = trim_ows(value);
    let slash = v
        .iter()
        .position(|&b| b == b'/')
        .ok_or(Reason::NotANumber)?;
    let used = parse_digits(&v[..slash]).ok_or(Reason::NotANumber)?;
    let limit = parse_digits(&v[slash + 1..]).ok_or(Reason::NotANumber)?;
    Ok(Fact {
        name: Name::Token(SfToken(b"call-limit")),
        quota: Some(crate::sat_u32(limit)),
        remaining: Some(crate::sat_u32(limit.saturating_sub(used))),
        reset: Some(Reset::Delta(1)),
        ..Fact::unnamed()
    })
}
