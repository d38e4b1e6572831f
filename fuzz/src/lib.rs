//! Shared by the fuzz targets: reading a fuzzer's bytes as an HTTP response.

use headroom_core::{Instant, Response, UnixTime};

/// The fields of a response read by [`with_response`].
pub type Fields<'a> = std::iter::Copied<std::slice::Iter<'a, (&'a str, &'a [u8])>>;

/// When [`with_response`]'s response is received, in Unix seconds: 2023-11-14.
const NOW_SECS: i64 = 1_700_000_000;

/// The same instant on the limiters' clock.
pub const NOW: Instant = Instant::from_millis(NOW_SECS as u64 * 1000);

/// Reads `data` as a response and hands it to `f`, received at [`NOW`]: two bytes of status (0 =
/// none), then `Name: value` lines up to a blank line, then the body. Lines that are not
/// `Name: value` are skipped.
pub fn with_response<T>(data: &[u8], f: impl FnOnce(&Response<'_, Fields<'_>>) -> T) -> T {
    let (status, rest) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => (0, data),
    };
    let status = (status != 0).then_some(status % 1000);
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        None => (rest, None),
    };
    let headers: Vec<(&str, &[u8])> = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = std::str::from_utf8(&line[..colon]).ok()?;
            let value = &line[colon + 1..];
            Some((name, value.strip_prefix(b" ").unwrap_or(value)))
        })
        .collect();
    f(&Response {
        status,
        headers: headers.iter().copied(),
        body,
        received_at: Some(UnixTime::from_secs(NOW_SECS)),
    })
}
