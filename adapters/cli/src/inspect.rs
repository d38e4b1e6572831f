//! `headroom inspect`: one response head in, one JSON object out.
//!
//! The head is read leniently, as people paste it: an optional status line (`HTTP/1.1 429 …`,
//! also `HTTP/2 429` as curl prints it), then `Name: value` lines ending in CRLF or LF, up to a
//! blank line or the end of input; what follows the blank line is the body. Folded (obs-fold)
//! lines are joined. The field parsing itself is `httparse`'s; the rate-limit reading is the core's.

use headroom_core::observation::Policy;
use headroom_core::{Duration, Observation, Response, RetryPolicy, UnixTime};
use serde::Serialize;

/// The JSON printed.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    /// The status code, if the input had a status line.
    pub status: Option<u16>,
    /// Policies in order of first appearance.
    pub policies: Vec<PolicyReport>,
    /// From `Retry-After`, else the body's `retry_after`.
    pub retry_after_s: Option<u64>,
    /// How long the library would wait before the next request given this response alone.
    pub wait_s: u64,
    /// Lowercase names of fields present but malformed.
    pub ignored: Vec<&'static str>,
}

/// One policy.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PolicyReport {
    /// Its name, `null` for the unnamed policy.
    pub name: Option<String>,
    /// Quota per window.
    pub quota: Option<u32>,
    /// Window in seconds.
    pub window_s: Option<u32>,
    /// Units left.
    pub remaining: Option<u32>,
    /// Seconds until reset, from the response's time.
    pub reset_s: Option<u32>,
}

impl From<&Policy> for PolicyReport {
    fn from(p: &Policy) -> Self {
        PolicyReport {
            name: p.name().map(str::to_string),
            quota: p.quota(),
            window_s: p.window().map(secs),
            remaining: p.remaining(),
            reset_s: p.reset().map(secs),
        }
    }
}

/// Whole seconds, as the headers gave them (saturating).
fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs_ceil()).unwrap_or(u32::MAX)
}

/// A response head split into its parts.
#[derive(Debug, Default)]
pub struct Head {
    /// The status, if there was a status line.
    pub status: Option<u16>,
    /// Fields in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Splits `input` into status, fields and body; a clear message on malformed input.
pub fn read_head(input: &[u8]) -> Result<Head, String> {
    let (status, rest) = status_line(input)?;
    // httparse wants a status line and a terminating blank line: supply both when absent.
    let mut buf = b"HTTP/1.1 200 OK\r\n".to_vec();
    let fake = buf.len();
    buf.extend_from_slice(rest);
    let mut config = httparse::ParserConfig::default();
    config.allow_obsolete_multiline_headers_in_responses(true);
    config.allow_spaces_after_header_name_in_responses(true);
    for tail in [&b""[..], b"\r\n", b"\r\n\r\n"] {
        let mut attempt = buf.clone();
        attempt.extend_from_slice(tail);
        let mut fields = vec![httparse::EMPTY_HEADER; 256];
        let mut response = httparse::Response::new(&mut fields);
        match config.parse_response(&mut response, &attempt) {
            Ok(httparse::Status::Complete(end)) => {
                let headers = response
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), unfold(h.value)))
                    .collect();
                let body = buf.get(end.max(fake)..).unwrap_or_default().to_vec();
                return Ok(Head {
                    status,
                    headers,
                    body,
                });
            }
            Ok(httparse::Status::Partial) => continue,
            Err(httparse::Error::TooManyHeaders) => {
                return Err("more than 256 header fields".into());
            }
            Err(e) => return Err(format!("malformed header section: {e}")),
        }
    }
    Err("malformed header section: incomplete".into())
}

fn status_line(input: &[u8]) -> Result<(Option<u16>, &[u8]), String> {
    if !input.starts_with(b"HTTP/") {
        return Ok((None, input));
    }
    let end = input
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(input.len());
    let line = String::from_utf8_lossy(&input[..end]);
    let code = line.split_whitespace().nth(1).unwrap_or("");
    let status = (code.len() == 3)
        .then(|| code.parse::<u16>().ok())
        .flatten()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| format!("invalid status line {:?}", line.trim_end()))?;
    Ok((Some(status), input.get(end + 1..).unwrap_or_default()))
}

/// An obs-fold value has CR/LF inside; a field value never does, so they become spaces.
fn unfold(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

/// The report for `input`, read against `now_unix` when it has no `Date`.
pub fn inspect(input: &[u8], now_unix: Option<u64>) -> Result<Report, String> {
    let head = read_head(input)?;
    let pairs = head.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
    let body = (!head.body.is_empty()).then_some(head.body.as_slice());
    let response = Response {
        status: head.status,
        headers: pairs,
        body,
        received_at: now_unix.map(|s| UnixTime::from_secs(i64::try_from(s).unwrap_or(i64::MAX))),
    };
    let obs: Observation<16> = Observation::of(&response, &mut [0u8; 8192]);
    let first_backoff = RetryPolicy::DEFAULT.backoff.ceiling(0);
    let mut ignored: Vec<&'static str> = Vec::new();
    for i in obs.ignored() {
        if !ignored.contains(&i.field.name()) {
            ignored.push(i.field.name());
        }
    }
    Ok(Report {
        status: head.status,
        policies: obs.policies().iter().map(PolicyReport::from).collect(),
        retry_after_s: obs.retry_after().map(|d| d.as_secs_ceil()),
        wait_s: obs.wait(first_backoff).as_secs_ceil(),
        ignored,
    })
}
