//! Every header parser on one field value: the RateLimit family, legacy fields, Retry-After.
#![no_main]
use headroom_core::header::{
    LegacyKind, legacy_field, parse_retry_after, policy_field, ratelimit_field,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    let _ = policy_field(value, |f| assert!(f.quota.is_some()));
    let _ = ratelimit_field(value, |_| {});
    for kind in [
        LegacyKind::Limit,
        LegacyKind::Remaining,
        LegacyKind::Reset,
        LegacyKind::Used,
    ] {
        let _ = legacy_field(kind, value, |_, _| {});
    }
    let _ = parse_retry_after(value, Some(1_700_000_000));
});
