//! Every header reader on one field value, through the public path: the value as each field
//! the core reads (RateLimit family, legacy fields, vendors' fields, Retry-After, Date, Age)
//! reduced to an Observation, the same bytes as a throttled response's JSON body, and the
//! member problems of the list fields. Never panics; every policy it keeps has a name that
//! fits.
#![no_main]
use headroom_core::header::{Field, member_problems, parse_retry_after};
use headroom_core::observation::NAME_CAP;
use headroom_core::{Observation, Response, UnixTime};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 28] = [
    "RateLimit-Policy",
    "RateLimit",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Used",
    "X-Rate-Limit-Limit",
    "Retry-After",
    "Date",
    "Age",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "retry-after-ms",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
    "X-Shopify-Shop-Api-Call-Limit",
    "x-ratelimit-resource",
    "RateLimit-ResetTime",
];

fuzz_target!(|value: &[u8]| {
    for name in NAMES {
        let response =
            Response::new(429, [(name, value)]).received_at(UnixTime::from_secs(1_700_000_000));
        let obs: Observation = Observation::of(&response, &mut [0; 128]);
        assert!(
            obs.policies()
                .iter()
                .all(|p| p.name().is_none_or(|n| n.len() <= NAME_CAP))
        );
    }
    let _ = parse_retry_after(value, Some(UnixTime::from_secs(1_700_000_000)));
    let body: Observation = Observation::of(&Response::new(429, []).body(value), &mut []);
    assert!(body.policies().is_empty());
    for field in [Field::RateLimit, Field::RateLimitPolicy] {
        let _ = member_problems(field, value, |member, _| {
            assert!(member.len() <= value.len())
        });
    }
});
