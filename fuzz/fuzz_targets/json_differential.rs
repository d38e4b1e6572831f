//! Differential: the 429 body's `retry_after` against serde_json. Where serde_json reads a JSON
//! object whose `retry_after` is a number, headroom gives that number rounded up to whole
//! seconds (as a `Duration`, saturating); where serde_json finds no JSON, headroom reads
//! nothing. Left out: what RFC 8259 lets parsers differ on (serde_json's limits on number range
//! and lone surrogates; headroom's nesting of at most 64), and ceilings `f64` rounding decides.
#![no_main]
use headroom_core::Duration;
use headroom_core::header::body_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = body_retry_after(data).map(Duration::as_secs_ceil);
    // Brackets counted in strings too: an over-count only leaves inputs out.
    let nesting = data.iter().filter(|&&b| b == b'[' || b == b'{').count();
    match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(serde_json::Value::Object(_)) if nesting > 64 => {}
        Ok(serde_json::Value::Object(map)) => {
            let expected = match map.get("retry_after").and_then(|r| r.as_f64()) {
                None => None,
                Some(f) if f < 0.0 => None,
                // -0 against a tiny negative, or a ceiling `f64` rounding could move.
                Some(f) if f == 0.0 || f > 4e9 => return,
                Some(f) if f.fract() != 0.0 && (f.ceil() - f).min(f - f.floor()) < 1e-6 => return,
                Some(f) => Some(Duration::from_secs(f.ceil() as u64).as_secs_ceil()),
            };
            assert_eq!(ours, expected, "{:?}", String::from_utf8_lossy(data));
        }
        Ok(_) => assert_eq!(ours, None),
        Err(e) => {
            let limit = e.to_string();
            if !limit.contains("out of range")
                && !limit.contains("surrogate")
                && !limit.contains("recursion")
            {
                assert_eq!(ours, None, "{:?}: {e}", String::from_utf8_lossy(data));
            }
        }
    }
});
