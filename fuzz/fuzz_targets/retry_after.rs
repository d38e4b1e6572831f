//! Retry-After in every form, HTTP-dates, and the 429 body: never panic, and a date parses to
//! the same instant whatever the caller's clock (except for RFC 850's two-digit years).
#![no_main]
use headroom_core::UnixTime;
use headroom_core::header::{body_retry_after, parse_http_date, parse_retry_after};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_retry_after(data, None);
    let _ = parse_retry_after(data, Some(UnixTime::from_secs(i64::MAX)));
    let _ = body_retry_after(data);
    if let Some(t) = parse_http_date(data, None) {
        // IMF-fixdate and asctime dates carry four-digit years: no clock changes them.
        if !data.contains(&b'-') {
            assert_eq!(
                parse_http_date(data, Some(UnixTime::from_secs(1_700_000_000))),
                Some(t)
            );
        }
    }
});
