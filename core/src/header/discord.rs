//! Discord's additions to `X-RateLimit-*`, behind the `discord` feature (which needs `legacy`,
//! where `X-RateLimit-Limit`, `-Remaining` and `-Reset` are read).
//!
//! - `X-RateLimit-Reset-After: 64.57`: seconds until the bucket resets, fractional, rounded up;
//! - `X-RateLimit-Bucket: abcd1234`: the bucket's id, which names the policy.
//!
//! The bucket is the policy's partition: a 429 on it pauses that bucket only, unless its body
//! says `"global": true` (read with the `json` feature), which pauses every caller.

use super::ratelimit::{Fact, Reset};
use super::{Reason, ceil_decimal, trim_ows};

/// The reset an `X-RateLimit-Reset-After` value states: `1*DIGIT [ "." 1*DIGIT ]` seconds,
/// rounded up.
pub(crate) fn reset_after(value: &[u8]) -> Result<Fact<'static>, Reason> {
    let secs = ceil_decimal(trim_ows(value)).ok_or(Reason::NotANumber)?;
    Ok(Fact {
        reset: Some(Reset::Delta(crate::sat_u32(secs))),
        ..Fact::unnamed()
    })
}
