//! Every header generation in `../shared/reference/rate-limit-headers.md`, and malformed variants,
//! reduced through `Observation::parse`.
// The shared bodies use some of these imports, and which depends on the features.
#![allow(unused_imports)]

use headroom_core::header::{Field, QuotaUnit, Reason};

use headroom_core::observation::RetrySource;

use headroom_core::{Duration, Observation};

#[path = "shared/mod.rs"]
mod shared;
#[allow(unused_imports)]
use shared::headers::*;

fn ignored(obs: &Observation<8>) -> Vec<&'static str> {
    obs.ignored().iter().map(|i| i.field.name()).collect()
}

#[test]
fn synthlink_seed_headers() {
    shared::headers::synthlink_seed_headers()
}

#[test]
fn order_of_first_appearance_and_token_names() {
    let obs = observe(
        None,
        &[
            ("RateLimit", "day;r=5;t=9"),
            ("RateLimit-Policy", r#"minute;q=10;w=1, "day";q=50;w=100"#),
        ],
        None,
    );
    let names: Vec<_> = obs.policies().iter().map(|p| p.name().unwrap()).collect();
    assert_eq!(names, ["day", "minute"]);
    let d = named(&obs, "day");
    assert_eq!(
        (d.quota(), d.remaining()),
        (Some(50), Some(5)),
        "String and Token names are one policy"
    );
}

#[test]
fn express_draft8_several_field_lines() {
    shared::headers::express_draft8_several_field_lines()
}

#[test]
fn unknown_parameters_of_every_type_and_quota_units() {
    shared::headers::unknown_parameters_of_every_type_and_quota_units()
}

#[cfg(feature = "legacy")]
#[test]
fn draft7_dictionary_and_policy() {
    shared::headers::draft7_dictionary_and_policy()
}

#[cfg(feature = "legacy")]
#[test]
fn express_draft6_merges_into_one_unnamed_policy() {
    shared::headers::express_draft6_merges_into_one_unnamed_policy()
}

#[cfg(feature = "legacy")]
#[test]
fn draft3_list_form_limit() {
    let obs = observe(
        None,
        &[
            ("RateLimit-Limit", "10, 10;w=1, 1000;w=3600"),
            ("RateLimit-Remaining", "7"),
        ],
        None,
    );
    let unnamed: Vec<_> = obs
        .policies()
        .iter()
        .map(|p| (p.quota(), p.window_s(), p.remaining()))
        .collect();
    assert_eq!(
        unnamed,
        [(Some(10), Some(1), Some(7)), (Some(1000), Some(3600), None)]
    );
}

#[cfg(feature = "legacy")]
#[test]
fn legacy_epoch_reset_is_computed_against_date() {
    shared::headers::legacy_epoch_reset_is_computed_against_date()
}

#[cfg(feature = "legacy")]
#[test]
fn epoch_in_the_past_is_zero_not_a_wrapped_number() {
    shared::headers::epoch_in_the_past_is_zero_not_a_wrapped_number()
}

#[cfg(feature = "legacy")]
#[test]
fn epoch_reset_without_any_reference_time_is_ignored_with_a_reason() {
    shared::headers::epoch_reset_without_any_reference_time_is_ignored_with_a_reason()
}

#[cfg(feature = "legacy")]
#[test]
fn twitter_and_used_headers() {
    shared::headers::twitter_and_used_headers()
}

#[test]
fn retry_after_all_forms() {
    shared::headers::retry_after_all_forms()
}

#[cfg(feature = "legacy")]
#[test]
fn draft7_epoch_reset_without_a_reference_merges_nothing() {
    shared::headers::draft7_epoch_reset_without_a_reference_merges_nothing()
}

#[test]
fn retry_after_date_needs_a_reference() {
    shared::headers::retry_after_date_needs_a_reference()
}

#[cfg(feature = "json")]
#[test]
fn body_retry_after_is_the_fallback() {
    let obs = observe(
        Some(429),
        &[],
        Some(r#"{"error": "Too Many Requests", "retry_after": 12}"#),
    );
    assert_eq!(
        (obs.retry_after_s(), obs.retry_source()),
        (Some(12), Some(RetrySource::Body))
    );
    assert_eq!(body_retry_after(br#"{"retry_after": -1}"#), None);
    assert_eq!(body_retry_after(br#"{"retry_after": "12"}"#), None);
    assert_eq!(
        body_retry_after(br#"{"nested": {"a": [1, 2]}, "retry_after": 3}"#),
        Some(3)
    );
    assert_eq!(body_retry_after(b"{"), None);
    assert_eq!(body_retry_after(b""), None);
}

#[test]
fn malformed_fields_are_ignored_whole_with_a_reason() {
    let obs = observe(
        None,
        &[
            (
                "RateLimit-Policy",
                r#""minute";q=60;w=60, "day";q=1000;w=86400,"#,
            ),
            ("RateLimit", r#""minute";r=42;t=12, "day";r=913;t=43120"#),
            ("X-RateLimit-Limit", "lots"),
            ("Date", "yesterday"),
        ],
        None,
    );
    let mut expected = vec!["date", "ratelimit-policy"];
    if cfg!(feature = "legacy") {
        expected.push("x-ratelimit-limit");
    }
    assert_eq!(ignored(&obs), expected);
    assert!(matches!(obs.ignored()[1].reason, Reason::Syntax(_)));
    // The valid RateLimit field still counts.
    assert_eq!(named(&obs, "minute").remaining(), Some(42));
    assert_eq!(named(&obs, "minute").quota(), None);
}

#[test]
fn a_bad_second_line_spoils_the_whole_field() {
    let obs = observe(
        None,
        &[
            ("RateLimit", r#""minute";r=1;t=2"#),
            ("RateLimit", r#""day";r=oops=1"#),
        ],
        None,
    );
    assert!(obs.policies().is_empty());
    assert_eq!(ignored(&obs), ["ratelimit"]);
}

#[test]
fn members_missing_required_parameters_are_skipped() {
    let obs = observe(
        None,
        &[(
            "RateLimit-Policy",
            r#""a";w=60, "b";q=-1, "c";q="60", "d";q=5, 7.5;w=1, ?1;q=3"#,
        )],
        None,
    );
    let names: Vec<_> = obs.policies().iter().map(|p| p.name()).collect();
    assert_eq!(names.len(), 1);
    assert_eq!(named(&obs, "d").quota(), Some(5));
}

#[test]
fn cached_responses_ignore_ratelimit_fields() {
    let obs = observe(
        Some(200),
        &[("Age", "30"), ("RateLimit", r#""m";r=0;t=5"#)],
        None,
    );
    assert!(obs.from_cache());
    assert!(obs.policies().is_empty());
    let fresh = observe(
        Some(200),
        &[("Age", "0"), ("RateLimit", r#""m";r=0;t=5"#)],
        None,
    );
    assert_eq!(fresh.policies().len(), 1);
}

#[test]
fn scratch_overflow_is_reported() {
    let long = format!(r#""{}";r=1"#, "a".repeat(300));
    let obs = observe(
        None,
        &[("RateLimit", long.as_str()), ("RateLimit", long.as_str())],
        None,
    );
    assert_eq!(obs.ignored()[0].reason, Reason::TooLong);
}

#[test]
fn long_names_and_too_many_policies_are_counted_not_lost_silently() {
    let long = format!(r#""{}";q=1"#, "n".repeat(40));
    let obs = observe(None, &[("RateLimit-Policy", long.as_str())], None);
    assert!(obs.policies().is_empty());
    assert_eq!(obs.dropped(), 1);
    let many = (0..10)
        .map(|i| format!(r#""p{i}";q=1"#))
        .collect::<Vec<_>>()
        .join(", ");
    let obs = observe(None, &[("RateLimit-Policy", many.as_str())], None);
    assert_eq!((obs.policies().len(), obs.dropped()), (8, 2));
}

#[test]
fn wait_rules() {
    let exhausted = observe(
        Some(200),
        &[(
            "RateLimit",
            r#""minute";r=0;t=12, "day";r=0;t=400, "hour";r=3;t=900"#,
        )],
        None,
    );
    assert_eq!(
        exhausted.wait_s(1),
        400,
        "largest reset among exhausted policies"
    );
    assert_eq!(
        observe(Some(429), &[], None).wait_s(1),
        1,
        "first backoff on a bare 429"
    );
    assert_eq!(observe(Some(200), &[], None).wait_s(1), 0);
}

#[test]
fn header_names_are_case_insensitive() {
    let obs = observe(
        None,
        &[
            ("RATELIMIT-POLICY", r#""m";q=1"#),
            ("ratelimit", r#""m";r=0"#),
        ],
        None,
    );
    assert_eq!(
        (obs.policies()[0].quota(), obs.policies()[0].remaining()),
        (Some(1), Some(0))
    );
}

#[test]
fn fields_with_many_policies_are_read_whole_or_not_at_all() {
    // Past the four facts held back while a field is checked, the field is walked again.
    let many = r#"a;q=1;w=1, b;q=2;w=2, (x y), c;q=3;w=3, d;q=4;w=4, 5;w=5, e;q=6;w=6;q=7"#;
    let obs = observe(Some(200), &[("RateLimit-Policy", many)], None);
    let seen: Vec<_> = obs
        .policies()
        .iter()
        .map(|p| (p.quota(), p.window_s()))
        .collect();
    // The unnamed `5;w=5` is a -07 form, read with the `legacy` feature only.
    let expected: Vec<_> = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (7, 6)]
        .iter()
        .filter(|&&(q, _)| q != 5 || cfg!(feature = "legacy"))
        .map(|&(q, w)| (Some(q), Some(w)))
        .collect();
    assert_eq!(seen, expected, "in order, the last q winning");
    // A field malformed after its fifth member reports nothing.
    let bad = r#"a;r=1, b;r=2, c;r=3, d;r=4, e;r=5, f;r=6,"#;
    let obs = observe(Some(200), &[("RateLimit", bad)], None);
    assert!(
        obs.policies().is_empty(),
        "nothing from the malformed field"
    );
    assert_eq!(ignored(&obs), ["ratelimit"]);
    let obs = observe(
        Some(200),
        &[("RateLimit-Policy", &bad[..bad.len() - 1])],
        None,
    );
    assert!(obs.policies().is_empty(), "no q: no policies");
}

#[cfg(not(feature = "legacy"))]
#[test]
fn without_legacy_only_the_list_fields_are_read() {
    let obs = observe(
        Some(429),
        &[
            ("X-RateLimit-Limit", "40"),
            ("X-RateLimit-Remaining", "0"),
            ("X-Rate-Limit-Reset", "20"),
            ("RateLimit-Limit", "40"),
            ("RateLimit", "limit=100, remaining=50, reset=5"),
            ("RateLimit-Policy", r#"100;w=10, "minute";q=60;w=60"#),
            ("Retry-After", "7"),
        ],
        None,
    );
    // The -07 Policy List is a valid List, but its unnamed `100;w=10` is a pre-standard form:
    // only the named policy beside it is read. The -07 Dictionary is no List.
    assert_eq!(obs.policies().len(), 1);
    let p = &obs.policies()[0];
    assert_eq!(p.name(), Some("minute"));
    assert_eq!(
        (p.quota(), p.window_s(), p.remaining()),
        (Some(60), Some(60), None)
    );
    assert_eq!(ignored(&obs), ["ratelimit"]);
    assert!(matches!(obs.ignored()[0].reason, Reason::Syntax(_)));
    assert_eq!(obs.retry_after_s(), Some(7));
    assert_eq!(Field::from_name("x-ratelimit-limit"), None);
    assert_eq!(Field::from_name("RateLimit"), Some(Field::RateLimit));
}

#[cfg(not(feature = "json"))]
#[test]
fn without_json_the_body_is_not_read() {
    let obs = observe(Some(429), &[], Some(r#"{"retry_after": 12}"#));
    assert_eq!(obs.retry_after_s(), None);
    assert_eq!(body_retry_after(br#"{"retry_after": 12}"#), None);
}

#[test]
fn numbers_beyond_u32_saturate_and_negatives_are_dropped() {
    let obs = observe(
        Some(200),
        &[
            (
                "RateLimit-Policy",
                r#""huge";q=999999999999999;w=4294967296, "neg";q=-1;w=60"#,
            ),
            ("RateLimit", r#""huge";r=5000000000;t=999999999999999"#),
        ],
        None,
    );
    let huge = named(&obs, "huge");
    assert_eq!(huge.quota(), Some(u32::MAX));
    assert_eq!(huge.remaining(), Some(u32::MAX));
    // Lengths and resets saturate at a `Duration`'s longest span, 49.7 days.
    assert_eq!(huge.window(), Some(headroom_core::Duration::MAX));
    assert_eq!(huge.reset(), Some(headroom_core::Duration::MAX));
    // A negative quota is not a quota: the member is dropped, and its field is reported.
    assert!(obs.policies().iter().all(|p| p.name() != Some("neg")));
    assert_eq!(ignored(&obs), ["ratelimit-policy"]);
}

/// Draft -11 §3/§4: a member whose parameter is invalid is dropped, the field's others are
/// read, and the field is listed as ignored (in part) with the member's reason.
#[test]
fn invalid_members_are_dropped_and_reported() {
    use headroom_core::header::{Flaw, Param, member_problems};
    let cases: [(&str, &str, Param, Flaw); 5] = [
        (
            "RateLimit",
            r#""a";r=5.0;t=1, "ok";r=1;t=1"#,
            Param::R,
            Flaw::NotAnInteger,
        ),
        (
            "RateLimit",
            r#""a";r=-1;t=1, "ok";r=1;t=1"#,
            Param::R,
            Flaw::Negative,
        ),
        (
            "RateLimit",
            r#""a";r=1;t="soon", "ok";r=1;t=1"#,
            Param::T,
            Flaw::NotAnInteger,
        ),
        (
            "RateLimit-Policy",
            r#""a";q=10;w=0, "ok";q=1;w=1"#,
            Param::W,
            Flaw::NotPositive,
        ),
        (
            "RateLimit-Policy",
            r#""a";w=60, "ok";q=1;w=1"#,
            Param::Q,
            Flaw::Missing,
        ),
    ];
    for (field, value, param, flaw) in cases {
        let obs = observe(Some(200), &[(field, value)], None);
        let names: Vec<_> = obs.policies().iter().map(|p| p.name()).collect();
        assert_eq!(names, [Some("ok")], "{value}");
        let want = Reason::Parameter { param, flaw };
        assert_eq!(obs.ignored()[0].reason, want, "{value}");
        let mut problems = Vec::new();
        let f = Field::from_name(field).unwrap();
        member_problems(f, value.as_bytes(), |m, r| {
            problems.push((m.to_string(), r))
        })
        .unwrap();
        assert_eq!(problems, [("a".to_string(), want)], "{value}");
    }
    assert_eq!(
        Reason::Parameter {
            param: Param::R,
            flaw: Flaw::NotAnInteger
        }
        .to_string(),
        "r is not an integer"
    );
    // A syntax error still drops the whole field.
    let mut none = 0;
    let whole = member_problems(Field::RateLimit, b"\"a\";r=1;;", |_, _| none += 1);
    assert!(matches!(whole, Err(Reason::Syntax(_))) && none == 0);
}

/// Draft -11 §2.1/§3: `qu` and `pk` are reported; `request` is the registered unit's name.
#[test]
fn quota_units_and_partitions_are_reported() {
    let obs = observe(
        Some(200),
        &[
            (
                "RateLimit-Policy",
                r#""a";q=100;w=10;qu="request", "b";q=1000000;w=60;qu="content-bytes";pk=:MTIyYzRlMzcxZDM5:, "c";q=4;qu="concurrent-requests", "d";q=5;qu="tokens""#,
            ),
            ("RateLimit", r#""b";r=999000;t=30;pk=:MTIyYzRlMzcxZDM5:"#),
        ],
        None,
    );
    let units: Vec<_> = obs.policies().iter().map(|p| p.unit()).collect();
    assert_eq!(
        units,
        [
            QuotaUnit::Requests,
            QuotaUnit::ContentBytes,
            QuotaUnit::ConcurrentRequests,
            QuotaUnit::Other
        ]
    );
    let b = named(&obs, "b");
    #[cfg(feature = "partitions")]
    assert_eq!(
        b.partition_key(),
        Some(headroom_core::Key::named("MTIyYzRlMzcxZDM5"))
    );
    assert_eq!(b.remaining(), Some(999_000));
    assert_eq!(named(&obs, "a").partition_key(), None);
    assert!(ignored(&obs).is_empty());
}

/// GitHub's REST API docs, "Rate limits for the REST API": the example headers; a 403 with
/// the remaining count at 0, or with `retry-after` (secondary limits), is throttling.
#[cfg(feature = "github")]
#[test]
fn github_documented_headers() {
    let headers = [
        ("x-ratelimit-limit", "60"),
        ("x-ratelimit-remaining", "56"),
        ("x-ratelimit-used", "4"),
        ("x-ratelimit-reset", "1372700873"),
        ("x-ratelimit-resource", "core"),
    ];
    let obs = observe_at(Some(200), &headers, None, Some(1_372_700_000));
    let p = named(&obs, "core");
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(60), Some(56), Some(873))
    );
    #[cfg(feature = "partitions")]
    assert_eq!(p.partition_key(), Some(headroom_core::Key::named("core")));
    assert!(!obs.throttled());
    // `used` alone gives the remaining count.
    let obs = observe(
        Some(200),
        &[
            ("x-ratelimit-limit", "30"),
            ("x-ratelimit-used", "30"),
            ("x-ratelimit-resource", "search"),
        ],
        None,
    );
    assert_eq!(named(&obs, "search").remaining(), Some(0));
    let spent = observe(
        Some(403),
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-resource", "core"),
        ],
        None,
    );
    assert!(spent.throttled());
    let secondary = observe(Some(403), &[("retry-after", "60")], None);
    assert!(secondary.throttled());
    let forbidden = observe(Some(403), &[("x-ratelimit-remaining", "12")], None);
    assert!(!forbidden.throttled());
    let bad = observe(Some(200), &[("x-ratelimit-resource", "")], None);
    assert_eq!(ignored(&bad), ["x-ratelimit-resource"]);
}

/// GitLab's docs, "Rate limits" (the headers of a throttled response): `RateLimit-Reset` as a
/// Unix time and `RateLimit-ResetTime` as an HTTP-date agree.
#[cfg(feature = "gitlab")]
#[test]
fn gitlab_documented_headers() {
    let headers = [
        ("RateLimit-Limit", "60"),
        ("RateLimit-Observed", "67"),
        ("RateLimit-Remaining", "0"),
        ("RateLimit-Reset", "1609844400"),
        ("RateLimit-ResetTime", "Tue, 05 Jan 2021 11:00:00 GMT"),
        ("Retry-After", "3600"),
    ];
    let obs = observe(
        Some(429),
        &[&[("Date", "Tue, 05 Jan 2021 10:00:00 GMT")][..], &headers].concat(),
        None,
    );
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(60), Some(0), Some(3600))
    );
    assert_eq!(obs.retry_after_s(), Some(3600));
    assert!(ignored(&obs).is_empty());
    // The HTTP-date alone sets the reset.
    let obs = observe(
        Some(200),
        &[
            ("Date", "Tue, 05 Jan 2021 10:59:00 GMT"),
            ("RateLimit-Remaining", "3"),
            ("RateLimit-ResetTime", "Tue, 05 Jan 2021 11:00:00 GMT"),
        ],
        None,
    );
    assert_eq!(obs.policies()[0].reset_s(), Some(60));
    let bad = observe(Some(200), &[("RateLimit-ResetTime", "tomorrow")], None);
    assert_eq!(ignored(&bad), ["ratelimit-resettime"]);
}

/// Draft -11's quota-exceeded problem type: `violated-policies` in an
/// `application/problem+json` body; a list longer than is kept loses nothing else.
#[cfg(feature = "json")]
#[test]
fn problem_details_bodies_are_read() {
    let body = r#"{"type": "https://iana.org/assignments/http-problem-types#quota-exceeded", "title": "Request cannot be satisfied as assigned quota has been exceeded", "violated-policies": ["day", "hour", "minute"], "retry_after": 30}"#;
    let obs = observe(
        Some(429),
        &[("RateLimit", r#""day";r=0;t=300"#)],
        Some(body),
    );
    assert!(obs.throttled());
    assert_eq!(obs.retry_after_s(), Some(30));
    assert_eq!(obs.retry_source(), Some(RetrySource::Body));
}

/// OpenAI's rate-limit guide, "Rate limits in headers": its example response headers.
#[cfg(feature = "openai")]
#[test]
fn openai_documented_headers() {
    let obs = observe(
        Some(200),
        &[
            ("x-ratelimit-limit-requests", "60"),
            ("x-ratelimit-limit-tokens", "150000"),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-remaining-tokens", "149984"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ],
        None,
    );
    let requests = named(&obs, "requests");
    assert_eq!(
        (
            requests.quota(),
            requests.remaining(),
            requests.reset_s(),
            requests.unit()
        ),
        (Some(60), Some(59), Some(1), QuotaUnit::Requests)
    );
    let tokens = named(&obs, "tokens");
    assert_eq!(
        (
            tokens.quota(),
            tokens.remaining(),
            tokens.reset_s(),
            tokens.unit()
        ),
        (Some(150_000), Some(149_984), Some(360), QuotaUnit::Other)
    );
    assert!(ignored(&obs).is_empty());
    // Fractional and compound durations round up; a reset that is no duration is ignored.
    let obs = observe(
        Some(429),
        &[
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1m30.5s"),
            ("x-ratelimit-reset-tokens", "soon"),
        ],
        None,
    );
    assert_eq!(named(&obs, "requests").reset_s(), Some(91));
    assert_eq!(ignored(&obs), ["x-ratelimit-reset-tokens"]);
}

/// Azure OpenAI's `retry-after-ms`: the wait in milliseconds; with `Retry-After` too, the
/// longer of the two.
#[cfg(feature = "openai")]
#[test]
fn retry_after_ms_is_read_and_never_shortens_retry_after() {
    let wait = |headers: &[(&str, &str)]| observe(Some(429), headers, None).retry_after();
    assert_eq!(
        wait(&[("retry-after-ms", "1500")]),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        wait(&[("retry-after-ms", "1500"), ("Retry-After", "2")]),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        wait(&[("Retry-After", "1"), ("retry-after-ms", "1500")]),
        Some(Duration::from_millis(1500))
    );
    let obs = observe(Some(429), &[("retry-after-ms", "1.5")], None);
    assert_eq!(
        (obs.retry_after(), ignored(&obs)),
        (None, vec!["retry-after-ms"])
    );
}

/// Anthropic's "Response headers" (rate limits): every policy's limit, remaining and RFC 3339
/// reset, read against the response's `Date`.
#[cfg(feature = "anthropic")]
#[test]
fn anthropic_documented_headers() {
    let obs = observe(
        Some(200),
        &[
            ("Date", DATE), // 12:00:00
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2026-11-21T12:00:01Z"),
            ("anthropic-ratelimit-tokens-limit", "50000"),
            ("anthropic-ratelimit-tokens-remaining", "49000"),
            (
                "anthropic-ratelimit-tokens-reset",
                "2026-11-21T12:00:01.200Z",
            ),
            ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "39500"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2026-11-21T13:00:30+01:00",
            ),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "7500"),
            (
                "anthropic-ratelimit-output-tokens-reset",
                "2026-11-21T12:00:06Z",
            ),
        ],
        None,
    );
    let get = |name: &str| {
        let p = named(&obs, name);
        (p.quota(), p.remaining(), p.reset_s(), p.unit())
    };
    assert_eq!(
        get("requests"),
        (Some(50), Some(49), Some(1), QuotaUnit::Requests)
    );
    assert_eq!(
        get("tokens"),
        (Some(50_000), Some(49_000), Some(2), QuotaUnit::Other)
    );
    assert_eq!(
        get("input-tokens"),
        (Some(40_000), Some(39_500), Some(30), QuotaUnit::Other)
    );
    assert_eq!(
        get("output-tokens"),
        (Some(8_000), Some(7_500), Some(6), QuotaUnit::Other)
    );
    assert!(ignored(&obs).is_empty());
    // Without a Date or a clock an absolute reset cannot be read; a malformed one is ignored.
    let obs = observe(
        Some(200),
        &[
            ("anthropic-ratelimit-requests-remaining", "3"),
            ("anthropic-ratelimit-requests-reset", "2026-11-21T12:00:01Z"),
            ("anthropic-ratelimit-tokens-reset", "in a minute"),
        ],
        None,
    );
    assert_eq!(named(&obs, "requests").remaining(), Some(3));
    assert_eq!(named(&obs, "requests").reset_s(), None);
    assert_eq!(
        ignored(&obs),
        [
            "anthropic-ratelimit-requests-reset",
            "anthropic-ratelimit-tokens-reset"
        ]
    );
}

/// Discord's "Rate Limits" page: its header example and its 429 example.
#[cfg(feature = "discord")]
#[test]
fn discord_documented_headers() {
    let obs = observe(
        Some(200),
        &[
            ("X-RateLimit-Limit", "5"),
            ("X-RateLimit-Remaining", "1"),
            ("X-RateLimit-Reset", "1470173023"),
            ("X-RateLimit-Reset-After", "1"),
            ("X-RateLimit-Bucket", "abcd1234"),
        ],
        None,
    );
    let p = named(&obs, "abcd1234");
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(5), Some(1), Some(1))
    );
    // The 429: fractional resets round up (the epoch one read against the response's Date).
    let obs = observe(
        Some(429),
        &[
            ("Date", "Tue, 02 Aug 2016 21:22:38 GMT"),
            ("Retry-After", "65"),
            ("X-RateLimit-Limit", "10"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1470173023.123"),
            ("X-RateLimit-Reset-After", "64.57"),
            ("X-RateLimit-Bucket", "abcd1234"),
            ("X-RateLimit-Scope", "user"),
        ],
        Some(
            r#"{"message": "You are being rate limited.", "retry_after": 64.57, "global": false}"#,
        ),
    );
    let p = named(&obs, "abcd1234");
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(10), Some(0), Some(65))
    );
    assert_eq!(obs.retry_after_s(), Some(65));
    assert!(ignored(&obs).is_empty());
    let obs = observe(
        Some(200),
        &[
            ("X-RateLimit-Reset-After", "-1"),
            ("X-RateLimit-Bucket", "a b"),
        ],
        None,
    );
    assert_eq!(
        ignored(&obs),
        ["x-ratelimit-reset-after", "x-ratelimit-bucket"]
    );
}

/// Shopify's REST Admin API limits: the call-limit header, and a 429's `Retry-After: 2.0`.
#[cfg(feature = "shopify")]
#[test]
fn shopify_documented_headers() {
    let obs = observe(
        Some(200),
        &[("X-Shopify-Shop-Api-Call-Limit", "32/40")],
        None,
    );
    let p = named(&obs, "call-limit");
    assert_eq!(
        (p.quota(), p.remaining(), p.reset_s()),
        (Some(40), Some(8), Some(1))
    );
    let obs = observe(
        Some(429),
        &[
            ("X-Shopify-Shop-Api-Call-Limit", "40/40"),
            ("Retry-After", "2.0"),
        ],
        None,
    );
    assert_eq!(named(&obs, "call-limit").remaining(), Some(0));
    assert_eq!(obs.retry_after_s(), Some(2));
    let obs = observe(Some(200), &[("X-Shopify-Shop-Api-Call-Limit", "32")], None);
    assert_eq!(ignored(&obs), ["x-shopify-shop-api-call-limit"]);
}

/// A ≤ -06 or `X-` numeric field is its first Item's number (an Inner List before it is
/// skipped, a Decimal rounds up, a repeated `w` counts its last value); a first Item that is
/// not a number, or no Item at all, ignores the whole field, its extra windows too.
#[cfg(feature = "legacy")]
#[test]
fn legacy_numbers_stand_or_fall_by_the_first_item() {
    let windows = |value: &str| {
        let obs = observe(None, &[("RateLimit-Limit", value)], None);
        let policies: Vec<_> = obs
            .policies()
            .iter()
            .map(|p| (p.quota(), p.window_s()))
            .collect();
        (
            policies,
            ignored(&obs),
            obs.ignored().first().map(|i| i.reason),
        )
    };
    assert_eq!(
        windows("(1 2), 40;w=5;w=60, x, 100;w=0, 7.5;w=9"),
        (
            vec![(Some(40), Some(60)), (Some(100), None), (Some(8), Some(9))],
            vec![],
            None
        )
    );
    assert_eq!(
        windows("lots, 100;w=60"),
        (vec![], vec!["ratelimit-limit"], Some(Reason::NotANumber))
    );
    assert_eq!(
        windows("-1, 100;w=60"),
        (vec![], vec!["ratelimit-limit"], Some(Reason::NotANumber))
    );
    assert_eq!(
        windows("(1 2)"),
        (vec![], vec!["ratelimit-limit"], Some(Reason::Empty))
    );
    assert_eq!(
        windows("40, 100;w=60,"),
        (
            vec![],
            vec!["ratelimit-limit"],
            Some(Reason::Syntax(headroom_core::sf::ErrorKind::TrailingComma))
        )
    );
    // Remaining, reset and used read their first Item only.
    let obs = observe(
        None,
        &[
            ("X-RateLimit-Limit", "100, 5"),
            ("X-RateLimit-Used", "30;w=60, 1"),
            ("X-RateLimit-Reset", "1.5, 9"),
        ],
        None,
    );
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.remaining(), p.reset(), p.window()),
        (Some(100), Some(70), Some(Duration::from_secs(2)), None)
    );
}

/// Draft -07's `RateLimit` Dictionary: a repeated key's last value counts, and a value that
/// is not a non-negative Integer (a Decimal, an Inner List, a bare key) is none.
#[cfg(feature = "legacy")]
#[test]
fn draft7_dictionary_keys_take_their_last_value() {
    let obs = observe(
        None,
        &[(
            "RateLimit",
            "limit=1, remaining=2, limit=50, reset=(1 2), other=?0, remaining;x=1",
        )],
        None,
    );
    let p = &obs.policies()[0];
    assert_eq!(
        (p.quota(), p.remaining(), p.reset()),
        (Some(50), None, None)
    );
    let obs = observe(None, &[("RateLimit", "limit=1.5, remaining=-1")], None);
    assert!(obs.policies().is_empty(), "{:?}", obs.policies());
}

/// A field name matches in any ASCII case and in no other spelling: every name this build
/// reads, with each of its bytes in turn replaced by every byte value, is judged as
/// `eq_ignore_ascii_case` judges it (a non-ASCII or control byte never matches a letter, a
/// digit or `-`).
#[test]
fn field_names_match_in_any_case_and_nothing_else() {
    let names: Vec<(Field, &str)> = Field::ALL
        .iter()
        .filter(|f| Field::from_name(f.name()) == Some(**f))
        .map(|f| (*f, f.name()))
        .collect();
    assert!(names.iter().any(|(f, _)| *f == Field::RateLimitPolicy));
    for &(field, name) in &names {
        assert_eq!(Field::from_name(&name.to_ascii_uppercase()), Some(field));
        assert_eq!(Field::from_name(&format!(" {name}\t")), Some(field));
        for at in 0..name.len() {
            for byte in 0..=255u8 {
                let mut spelled = name.as_bytes().to_vec();
                spelled[at] = byte;
                let Ok(spelled) = String::from_utf8(spelled) else {
                    continue;
                };
                let expected = names
                    .iter()
                    .find(|(_, n)| n.eq_ignore_ascii_case(spelled.trim_ascii()))
                    .map(|(f, _)| *f);
                assert_eq!(Field::from_name(&spelled), expected, "{spelled:?}");
            }
        }
    }
    assert_eq!(Field::from_name("ratelimit-polic\u{e9}"), None);
}
