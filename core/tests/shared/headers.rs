//! Header bodies (every generation in `../shared/reference/rate-limit-headers.md`, the seeds'
//! headers first), run on the host (`tests/headers.rs`) and on a Cortex-M4 under QEMU
//! (`core/on-target`).

use headroom_core::header::{Field, QuotaUnit, Reason};
use headroom_core::observation::{Policy, RetrySource};
use headroom_core::{Duration, Observation, Response, UnixTime};

/// The policy's times in whole seconds, as the headers give them.
pub trait Seconds {
    fn window_s(&self) -> Option<u32>;
    fn reset_s(&self) -> Option<u32>;
}

impl Seconds for Policy {
    fn window_s(&self) -> Option<u32> {
        self.window().map(secs)
    }
    fn reset_s(&self) -> Option<u32> {
        self.reset().map(secs)
    }
}

/// The body's `retry_after` in whole seconds.
pub fn body_retry_after(body: &[u8]) -> Option<u64> {
    headroom_core::header::body_retry_after(body).map(Duration::as_secs_ceil)
}

pub fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs_ceil()).unwrap()
}

/// The observation's waits in whole seconds.
pub trait Waits {
    fn retry_after_s(&self) -> Option<u64>;
    fn wait_s(&self, first_backoff_s: u64) -> u64;
}

impl<const P: usize> Waits for Observation<P> {
    fn retry_after_s(&self) -> Option<u64> {
        self.retry_after().map(Duration::as_secs_ceil)
    }
    fn wait_s(&self, first_backoff_s: u64) -> u64 {
        self.wait(Duration::from_secs(first_backoff_s))
            .as_secs_ceil()
    }
}

/// Date used by the tests: Sat, 21 Nov 2026 12:00:00 GMT.
pub const DATE: &str = "Sat, 21 Nov 2026 12:00:00 GMT";

#[cfg(feature = "legacy")]
pub const DATE_UNIX: u64 = 1_795_262_400;

/// The names of the fields `obs` ignored, compared with an array of names.
pub struct Ignored<'o>(&'o Observation<8>);

pub fn ignored(obs: &Observation<8>) -> Ignored<'_> {
    Ignored(obs)
}

impl<const N: usize> PartialEq<[&str; N]> for Ignored<'_> {
    fn eq(&self, names: &[&str; N]) -> bool {
        self.0
            .ignored()
            .iter()
            .map(|i| i.field.name())
            .eq(names.iter().copied())
    }
}

impl core::fmt::Debug for Ignored<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.0.ignored().iter().map(|i| i.field.name()))
            .finish()
    }
}

pub fn observe(
    status: Option<u16>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Observation<8> {
    observe_at(status, headers, body, None)
}

pub fn observe_at(
    status: Option<u16>,
    headers: &[(&str, &str)],
    body: Option<&str>,
    now_unix: Option<u64>,
) -> Observation<8> {
    let mut scratch = [0u8; 512];
    let pairs = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    let response = Response {
        status,
        headers: pairs,
        body: body.map(str::as_bytes),
        received_at: now_unix.map(|s| UnixTime::from_secs(s as i64)),
    };
    Observation::of(&response, &mut scratch)
}

pub fn named<'o>(obs: &'o Observation<8>, name: &str) -> &'o Policy {
    obs.policies()
        .iter()
        .find(|p| p.name() == Some(name))
        .expect(name)
}

pub fn synthlink_seed_headers() {
    let obs = observe(
        Some(429),
        &[
            (
                "RateLimit-Policy",
                r#""minute";q=60;w=60, "day";q=1000;w=86400"#,
            ),
            ("RateLimit", r#""minute";r=42;t=12, "day";r=913;t=43120"#),
            ("Retry-After", "12"),
        ],
        Some(r#"{"error": "Too Many Requests", "retry_after": 30}"#),
    );
    assert_eq!(obs.policies().len(), 2);
    let m = named(&obs, "minute");
    assert_eq!(
        (m.quota(), m.window_s(), m.remaining(), m.reset_s()),
        (Some(60), Some(60), Some(42), Some(12))
    );
    let d = named(&obs, "day");
    assert_eq!(
        (d.quota(), d.window_s(), d.remaining(), d.reset_s()),
        (Some(1000), Some(86400), Some(913), Some(43120))
    );
    assert_eq!(
        obs.retry_after_s(),
        Some(12),
        "the header takes precedence over the body"
    );
    assert_eq!(obs.retry_source(), Some(RetrySource::Header));
    assert!(obs.ignored().is_empty());
}

pub fn express_draft8_several_field_lines() {
    let obs = observe(
        None,
        &[
            ("RateLimit", r#""minute"; r=9; t=2"#),
            ("RateLimit", r#""day"; r=39; t=20"#),
            (
                "RateLimit-Policy",
                r#""minute"; q=10; w=2; pk=:MTIyYzRlMzcxZDM5:"#,
            ),
            (
                "RateLimit-Policy",
                r#""day"; q=40; w=20; pk=:MTIyYzRlMzcxZDM5:"#,
            ),
        ],
        None,
    );
    assert_eq!(obs.policies().len(), 2);
    let m = named(&obs, "minute");
    assert_eq!(
        (m.quota(), m.window_s(), m.remaining(), m.reset_s()),
        (Some(10), Some(2), Some(9), Some(2))
    );
    assert_eq!(named(&obs, "day").quota(), Some(40));
}

pub fn unknown_parameters_of_every_type_and_quota_units() {
    let obs = observe(
        None,
        &[(
            "RateLimit-Policy",
            r#""a";q=5;w=1;x=?1;y=@1700000000;z=%"caf%c3%a9";u=1.5;qu="content-bytes";s="x""#,
        )],
        None,
    );
    assert!(obs.ignored().is_empty(), "{:?}", obs.ignored());
    let a = named(&obs, "a");
    assert_eq!(
        (a.quota(), a.window_s(), a.unit()),
        (Some(5), Some(1), QuotaUnit::ContentBytes)
    );
}

#[cfg(feature = "legacy")]
pub fn draft7_dictionary_and_policy() {
    let obs = observe(
        None,
        &[
            ("RateLimit-Policy", "100;w=10"),
            ("RateLimit", "limit=100, remaining=50, reset=5"),
        ],
        None,
    );
    assert_eq!(obs.policies().len(), 1, "{:?}", obs.policies());
    let p = &obs.policies()[0];
    assert_eq!(p.name(), None);
    assert_eq!(
        (p.quota(), p.window_s(), p.remaining(), p.reset_s()),
        (Some(100), Some(10), Some(50), Some(5))
    );
}

#[cfg(feature = "legacy")]
pub fn express_draft6_merges_into_one_unnamed_policy() {
    let obs = observe(
        None,
        &[
            ("RateLimit-Policy", "40;w=20"),
            ("RateLimit-Limit", "40"),
            ("RateLimit-Remaining", "39"),
            ("RateLimit-Reset", "20"),
        ],
        None,
    );
    assert_eq!(obs.policies().len(), 1);
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.window_s(), p.remaining(), p.reset_s()),
        (Some(40), Some(20), Some(39), Some(20))
    );
}

#[cfg(feature = "legacy")]
pub fn legacy_epoch_reset_is_computed_against_date() {
    assert_eq!(DATE_UNIX + 37, 1_795_262_437, "the reset below");
    let obs = observe(
        None,
        &[
            ("X-RateLimit-Limit", "40"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1795262437"),
            ("Date", DATE),
        ],
        None,
    );
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(40), Some(0), Some(37))
    );
    assert_eq!(obs.wait_s(1), 37);
}

#[cfg(feature = "legacy")]
pub fn epoch_in_the_past_is_zero_not_a_wrapped_number() {
    let obs = observe(
        None,
        &[("X-RateLimit-Reset", "1700000000"), ("Date", DATE)],
        None,
    );
    assert_eq!(obs.policies()[0].reset_s(), Some(0));
}

#[cfg(feature = "legacy")]
pub fn epoch_reset_without_any_reference_time_is_ignored_with_a_reason() {
    let obs = observe(None, &[("X-RateLimit-Reset", "1795262437")], None);
    assert!(obs.policies().is_empty());
    assert_eq!(obs.ignored()[0].field, Field::XRateLimitReset);
    assert_eq!(obs.ignored()[0].reason, Reason::NoReferenceTime);
    // With the caller's clock instead of Date it converts.
    let obs = observe_at(
        None,
        &[("X-RateLimit-Reset", "1795262437")],
        None,
        Some(DATE_UNIX),
    );
    assert_eq!(obs.policies()[0].reset_s(), Some(37));
}

#[cfg(feature = "legacy")]
pub fn twitter_and_used_headers() {
    let obs = observe(
        None,
        &[
            ("X-Rate-Limit-Limit", "15"),
            ("X-Rate-Limit-Remaining", "3"),
            ("x-rate-limit-reset", "60"),
        ],
        None,
    );
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(15), Some(3), Some(60))
    );
    let obs = observe(
        None,
        &[("X-RateLimit-Limit", "5000"), ("X-RateLimit-Used", "4990")],
        None,
    );
    assert_eq!(obs.policies()[0].remaining(), Some(10));
}

pub fn retry_after_all_forms() {
    let at =
        |v: &str| observe(Some(429), &[("Retry-After", v), ("Date", DATE)], None).retry_after_s();
    assert_eq!(at("120"), Some(120));
    assert_eq!(at("Sat, 21 Nov 2026 12:00:30 GMT"), Some(30));
    assert_eq!(at("Saturday, 21-Nov-26 12:01:00 GMT"), Some(60));
    assert_eq!(at("Sat Nov 21 12:00:05 2026"), Some(5));
    assert_eq!(
        at("Sat, 21 Nov 2026 11:00:00 GMT"),
        Some(0),
        "a past date means 0"
    );
    assert_eq!(
        at("99999999999999999999999"),
        Some(Duration::MAX.as_secs_ceil()),
        "saturates; the retry policy caps it"
    );
    // Decimals are not RFC 9110's, but servers send them: read rounded up, never early.
    assert_eq!(at("2.0"), Some(2), "Shopify's form");
    assert_eq!(at("0.5"), Some(1));
    assert_eq!(at("1.001"), Some(2));
    assert_eq!(at("30.000"), Some(30));
    for bad in [
        "-5", "-0.5", ".5", "2.", "1.2.3", "1m0s", "", "12 s", "soon", "1e3",
    ] {
        let obs = observe(Some(429), &[("Retry-After", bad)], None);
        assert_eq!(obs.retry_after_s(), None, "{bad}");
        assert_eq!(ignored(&obs), ["retry-after"], "{bad}");
    }
}

#[cfg(feature = "legacy")]
pub fn draft7_epoch_reset_without_a_reference_merges_nothing() {
    let obs = observe(
        None,
        &[("RateLimit", "limit=10, remaining=5, reset=1795262437")],
        None,
    );
    assert!(obs.policies().is_empty(), "{:?}", obs.policies());
    assert_eq!(obs.ignored()[0].field, Field::RateLimit);
    assert_eq!(obs.ignored()[0].reason, Reason::NoReferenceTime);
}

pub fn retry_after_date_needs_a_reference() {
    let obs = observe(
        Some(503),
        &[("Retry-After", "Sat, 21 Nov 2026 12:00:30 GMT")],
        None,
    );
    assert_eq!(obs.retry_after_s(), None);
    assert_eq!(obs.ignored()[0].reason, Reason::NoReferenceTime);
}
