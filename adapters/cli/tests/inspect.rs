//! `headroom inspect` on heads as people paste them.

use headroom_cli::inspect::inspect;

#[test]
fn the_seed_example_and_the_wait_rule() {
    let head = b"HTTP/1.1 429 Too Many Requests\r\nRateLimit-Policy: \"minute\";q=60;w=60, \"day\";q=1000;w=86400\r\nRateLimit: \"minute\";r=0;t=12, \"day\";r=913;t=43120\r\n\r\n{\"error\": \"Too Many Requests\", \"retry_after\": 12}";
    let r = inspect(head, Some(0)).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        json,
        r#"{"status":429,"policies":[{"name":"minute","quota":60,"window_s":60,"remaining":0,"reset_s":12},{"name":"day","quota":1000,"window_s":86400,"remaining":913,"reset_s":43120}],"retry_after_s":12,"wait_s":12,"ignored":[]}"#
    );
}

#[test]
fn lf_lines_no_status_legacy_epoch_reset_and_a_bare_429() {
    let r = inspect(
        b"X-RateLimit-Limit: 40\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: 1795473357\n",
        Some(1_795_473_300),
    )
    .unwrap();
    assert_eq!(r.status, None);
    assert_eq!(
        (r.policies[0].name.as_deref(), r.policies[0].reset_s),
        (None, Some(57))
    );
    assert_eq!(r.wait_s, 57, "exhausted policy: its reset");
    let bare = inspect(b"HTTP/2 429\n", Some(0)).unwrap();
    assert_eq!(
        (bare.status, bare.retry_after_s, bare.wait_s),
        (Some(429), None, 1),
        "first backoff"
    );
}

#[test]
fn malformed_fields_are_listed_and_bad_heads_are_errors() {
    let r = inspect(b"RateLimit: ;;\nRetry-After: soon\n", Some(0)).unwrap();
    assert_eq!(r.ignored, vec!["ratelimit", "retry-after"]);
    assert!(
        inspect(b"HTTP/1.1 abc\n", None)
            .unwrap_err()
            .contains("status line")
    );
    assert!(inspect(b"no colon here\n", None).is_err());
}
