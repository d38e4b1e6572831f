//! The `parse/headroom_sf` and `parse/sfv` benchmarks do the same work: on every field of the
//! httpwg suite (and the seed's two), both sides agree on whether it is a List and on the sum
//! of its Items' `q`, `w`, `r` and `t`.

use headroom_benches::{SEED_POLICY, SEED_RATELIMIT, sum_qwrt_headroom, sum_qwrt_sfv};
use std::path::Path;

#[test]
fn both_sides_of_the_parse_benchmark_compute_the_same() {
    let seed = [SEED_POLICY, SEED_RATELIMIT];
    assert_eq!(
        sum_qwrt_headroom(&seed),
        Some(60 + 60 + 1000 + 86_400 + 42 + 12 + 913 + 43_120)
    );
    assert_eq!(sum_qwrt_headroom(&seed), sum_qwrt_sfv(&seed));

    let suite =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/structured-field-tests");
    let (mut fields, mut lists) = (0, 0);
    for entry in std::fs::read_dir(&suite).expect("the vendored httpwg suite") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let tests: serde_json::Value = serde_json::from_str(&text).unwrap();
        for test in tests.as_array().unwrap() {
            let Some(raw) = test["raw"].as_array() else {
                continue;
            };
            let lines: Vec<&str> = raw.iter().map(|l| l.as_str().unwrap()).collect();
            let field = lines.join(", ");
            let ours = sum_qwrt_headroom(&[field.as_bytes()]);
            assert_eq!(ours, sum_qwrt_sfv(&[field.as_bytes()]), "{field:?}");
            fields += 1;
            lists += usize::from(ours.is_some());
        }
    }
    assert!(
        fields > 1000 && lists > 500,
        "{fields} fields, {lists} Lists"
    );
}
