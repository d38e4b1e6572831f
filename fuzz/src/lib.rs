//! Shared by the fuzz targets: reading a fuzzer's bytes as an HTTP response.

/// Reads `data` as a response: two bytes of status (0 = none), then `Name: value` lines up to a
/// blank line, then the body. Lines that are not `Name: value` are skipped.
pub fn response(data: &[u8]) -> (Option<u16>, Vec<(&str, &[u8])>, Option<&[u8]>) {
    let (status, rest) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => (0, data),
    };
    let status = (status != 0).then_some(status % 1000);
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        None => (rest, None),
    };
    let headers = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = std::str::from_utf8(&line[..colon]).ok()?;
            let value = &line[colon + 1..];
            Some((name, value.strip_prefix(b" ").unwrap_or(value)))
        })
        .collect();
    (status, headers, body)
}
