//! `headroom inspect` on heads as people paste them.

use headroom_cli::inspect::inspect;

#[test]
fn the_seed_example_and_the_wait_rule() {
    let head = b"HTTP/1.1 429 Too Many Requests\r\nRateLimit-Policy: \"minute\";q=60;w=60, \"day\";q=1000;w=86400\r\nRateLimit: \"minute\";r=0;t=12, \"day\";r=913;t=43120\r\n\r\n{\"error\": \"Too Many Requests\", \"retry_after\": 12}";
    let r = inspect(head, Some(0)).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        json,
        r#"{"status":429,"policies":[{"name":"minute","quota":60,"unit":"requests","window_s":60,"remaining":0,"reset_s":12,"partition":null},{"name":"day","quota":1000,"unit":"requests","window_s":86400,"remaining":913,"reset_s":43120,"partition":null}],"retry_after_s":12,"wait_s":12,"ignored":[],"problems":[]}"#
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

#[test]
fn units_partitions_and_full_range_integers() {
    let head = b"RateLimit-Policy: \"up\";q=999999999999999;w=60;qu=\"content-bytes\";pk=:MTIyYzRlMzcxZDM5:, \"t\";q=5;qu=\"tokens\"\nRateLimit: \"up\";r=5000000000;t=30;pk=:MTIyYzRlMzcxZDM5:\n";
    let r = inspect(head, Some(0)).unwrap();
    let up = &r.policies[0];
    assert_eq!(up.unit, "content-bytes");
    assert_eq!(
        up.quota,
        Some(999_999_999_999_999),
        "15 digits, unsaturated"
    );
    assert_eq!(up.remaining, Some(5_000_000_000));
    assert_eq!(up.partition.as_deref(), Some("MTIyYzRlMzcxZDM5"));
    assert_eq!(r.policies[1].unit, "tokens");
    assert_eq!(r.policies[1].partition, None);
    // Legacy numbers beyond 32 bits too.
    let r = inspect(
        b"X-RateLimit-Limit: 99999999999\nX-RateLimit-Remaining: 5\n",
        None,
    )
    .unwrap();
    assert_eq!(r.policies[0].quota, Some(99_999_999_999));
}

#[test]
fn dropped_members_and_fields_are_problems() {
    let head =
        b"RateLimit: \"minute\";r=5.0;t=1, \"hour\";r=-1;t=1, \"day\";r=9;t=9\nRetry-After: soon\n";
    let r = inspect(head, Some(0)).unwrap();
    assert_eq!(r.ignored, ["ratelimit", "retry-after"]);
    let json = serde_json::to_value(&r.problems).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"field": "ratelimit", "member": "minute", "reason": "r is not an integer"},
            {"field": "ratelimit", "member": "hour", "reason": "r is negative"},
            {"field": "retry-after", "member": null, "reason": "neither delay-seconds nor an HTTP-date"},
        ])
    );
    assert_eq!(r.policies.len(), 1, "the valid member is read");
}

#[test]
fn a_field_with_control_bytes_is_dropped_and_the_rest_read() {
    let head = b"HTTP/1.1 200 OK\r\nRateLimit-Policy: \"minute\";q=60;w=60\r\nRateLimit: \"minute\";r=1\x01;t=5\r\nRetry-After: \xff\xfe\r\nX-Other: \x7f\r\n\r\n";
    let r = inspect(head, Some(0)).unwrap();
    assert_eq!(r.policies[0].quota, Some(60));
    assert_eq!(r.policies[0].remaining, None);
    assert_eq!(r.ignored, ["ratelimit", "retry-after"]);
    let reasons: Vec<_> = r
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("ratelimit", "control bytes in the value"),
            ("retry-after", "the value is not UTF-8")
        ]
    );
    // Folded lines are joined; a continuation with nothing to continue is an error.
    let folded = inspect(b"RateLimit-Policy: \"a\";q=1;w=1,\n  \"b\";q=2;w=2\n", None).unwrap();
    assert_eq!(folded.policies.len(), 2);
    assert!(
        inspect(b" leading: space\n", None)
            .unwrap_err()
            .contains("line 1")
    );
}

proptest::proptest! {
    /// Any bytes: a report or a clear error, never a panic; and one control byte in one
    /// field's value drops that field only.
    #[test]
    fn any_input_is_read_or_refused_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                                          bad in 0u8..32, at in 0usize..20) {
        let _ = inspect(&bytes, Some(0));
        let mut value = b"\"minute\";r=5;t=9".to_vec();
        let bad = if bad == b'\t' { 0x7f } else { bad };
        value.insert(at.min(value.len()), bad);
        let mut head = b"RateLimit-Policy: \"minute\";q=60;w=60\nRateLimit: ".to_vec();
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\nRetry-After: 7\n");
        let r = inspect(&head, Some(0));
        // A CR or LF splits the line instead: then the remainder is a line of its own.
        if bad != b'\r' && bad != b'\n' {
            let r = r.unwrap();
            proptest::prop_assert_eq!(r.policies[0].quota, Some(60));
            proptest::prop_assert_eq!(r.retry_after_s, Some(7));
            proptest::prop_assert!(r.ignored.contains(&"ratelimit"));
        }
    }
}
