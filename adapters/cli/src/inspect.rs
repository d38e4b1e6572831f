//! `headroom inspect`: one response head in, one JSON object out.
//!
//! The head is read leniently, as people paste it: an optional status line (`HTTP/1.1 429 …`,
//! also `HTTP/2 429` as curl prints it), then `Name: value` lines ending in CRLF or LF, up to a
//! blank line or the end of input; what follows the blank line is the body. Folded (obs-fold)
//! lines are joined. The lines are read here rather than by httparse, which refuses a whole
//! head for one control byte: a field with control bytes or invalid UTF-8 is dropped with a
//! problem entry, and the rest is read. The rate-limit reading is the core's.

use headroom_core::header::{Field, QuotaUnit, Reason, member_problems};
use headroom_core::observation::Policy;
use headroom_core::sf::{self, BareItem, Member};
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
    /// Lowercase names of the fields the library reads that are malformed in whole or in
    /// part (a member dropped for an invalid value).
    pub ignored: Vec<&'static str>,
    /// Each field or member dropped, and why.
    pub problems: Vec<Problem>,
}

/// One policy.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PolicyReport {
    /// Its name, `null` for the unnamed policy.
    pub name: Option<String>,
    /// Quota per window, in its unit.
    pub quota: Option<u64>,
    /// What the quota counts: `requests` (when the server names none), `content-bytes`,
    /// `concurrent-requests`, or the unit as sent.
    pub unit: String,
    /// Window in seconds.
    pub window_s: Option<u64>,
    /// Units left.
    pub remaining: Option<u64>,
    /// Seconds until reset, from the response's time.
    pub reset_s: Option<u64>,
    /// The partition key (`pk`) as sent, in base64; `null` when none.
    pub partition: Option<String>,
}

/// A field, or one member of it, that was dropped.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The field's lowercase name.
    pub field: String,
    /// The member's name, when only a member was dropped (`""` for an unnamed one).
    pub member: Option<String>,
    /// Why.
    pub reason: String,
}

/// A response head split into its parts.
#[derive(Debug, Default)]
pub struct Head {
    /// The status, if there was a status line.
    pub status: Option<u16>,
    /// Fields in order, those with control bytes or invalid UTF-8 left out.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The fields left out, by lowercase name, and why.
    pub dropped: Vec<(String, &'static str)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Splits `input` into status, fields and body; a clear message on malformed input.
pub fn read_head(input: &[u8]) -> Result<Head, String> {
    let (status, mut rest) = status_line(input)?;
    let mut head = Head {
        status,
        ..Head::default()
    };
    let mut lines: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut number = usize::from(status.is_some());
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n');
        let (line, next) = match end {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        rest = next;
        number += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            head.body = rest.to_vec();
            break;
        }
        match (line[0], lines.last_mut()) {
            // obs-fold: a continuation of the previous field's value.
            (b' ' | b'\t', Some((_, previous))) => {
                previous.push(b' ');
                previous.extend_from_slice(trim_ows(line));
            }
            (b' ' | b'\t', None) => {
                return Err(format!(
                    "malformed header section: line {number} continues no field"
                ));
            }
            _ => lines.push((number, line.to_vec())),
        }
    }
    for (number, line) in lines {
        let colon = line.iter().position(|&b| b == b':');
        let Some((name, value)) = colon.map(|c| (&line[..c], &line[c + 1..])) else {
            return Err(format!(
                "malformed header section: line {number} has no colon"
            ));
        };
        let name = trim_ows(name);
        let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if name.is_empty() || !name.iter().all(token) {
            return Err(format!(
                "malformed header section: line {number} has an invalid field name"
            ));
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let value = trim_ows(value);
        if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
            head.dropped
                .push((name.to_ascii_lowercase(), "control bytes in the value"));
        } else if std::str::from_utf8(value).is_err() {
            head.dropped
                .push((name.to_ascii_lowercase(), "the value is not UTF-8"));
        } else {
            head.headers.push((name, value.to_vec()));
        }
    }
    Ok(head)
}

/// `v` without leading and trailing spaces and tabs (OWS: other control bytes stay, to be
/// refused).
fn trim_ows(v: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !ows(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &v[start..end]
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

/// The report for `input`, read against `now_unix` when it has no `Date`.
pub fn inspect(input: &[u8], now_unix: Option<u64>) -> Result<Report, String> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err("no input: expected an HTTP response head on stdin".into());
    }
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
    let mut problems = Vec::new();
    for (name, why) in &head.dropped {
        if let Some(field) = Field::from_name(name) {
            ignored.push(field.name());
            problems.push(Problem {
                field: field.name().to_string(),
                member: None,
                reason: (*why).to_string(),
            });
        }
    }
    for i in obs.ignored() {
        if !ignored.contains(&i.field.name()) {
            ignored.push(i.field.name());
        }
        problems.extend(problems_of(&head, i.field, i.reason));
    }
    let raw = RawPolicies::read(&head);
    Ok(Report {
        status: head.status,
        policies: obs.policies().iter().map(|p| raw.report(p)).collect(),
        retry_after_s: obs.retry_after().map(|d| d.as_secs_ceil()),
        wait_s: obs.wait(first_backoff).as_secs_ceil(),
        ignored,
        problems,
    })
}

/// The problems behind one entry of the core's `ignored`: the field's, or each dropped
/// member's (the core reports a field once, with its first member's reason).
fn problems_of(head: &Head, field: Field, reason: Reason) -> Vec<Problem> {
    let problem = |member: Option<&str>, reason: Reason| Problem {
        field: field.name().to_string(),
        member: member.map(str::to_string),
        reason: reason.to_string(),
    };
    if !matches!(reason, Reason::Parameter { .. }) {
        return vec![problem(None, reason)];
    }
    let mut out = Vec::new();
    let _ = member_problems(field, &joined(head, field), |m, r| {
        out.push(problem(Some(m), r))
    });
    out
}

/// A field's lines joined as one value.
fn joined(head: &Head, field: Field) -> Vec<u8> {
    let lines: Vec<&[u8]> = head
        .headers
        .iter()
        .filter(|(n, _)| Field::from_name(n) == Some(field))
        .map(|(_, v)| v.as_slice())
        .collect();
    lines.join(&b", "[..])
}

/// What the core keeps in 32 bits or leaves out of a policy, read again from the list
/// fields as sent: integers in their full range (15 digits), the unit's name, the `pk`.
#[derive(Default)]
struct RawPolicies {
    /// By name: `q`, `w`, `r`, `t`, `qu` and `pk` as sent.
    named: Vec<(String, Raw)>,
    /// The legacy fields' numbers, for the unnamed policy.
    unnamed: Raw,
}

#[derive(Default, Clone)]
struct Raw {
    quota: Option<u64>,
    window_s: Option<u64>,
    remaining: Option<u64>,
    reset_s: Option<u64>,
    unit: Option<String>,
    partition: Option<String>,
}

impl RawPolicies {
    fn read(head: &Head) -> RawPolicies {
        let mut raw = RawPolicies::default();
        for field in [Field::RateLimitPolicy, Field::RateLimit] {
            let value = joined(head, field);
            let Ok(list) = sf::parse_list(&value) else {
                continue;
            };
            for member in list.members() {
                let Member::Item(item) = member else { continue };
                let name = match item.bare() {
                    BareItem::String(s) => s.chars().collect(),
                    BareItem::Token(t) => t.as_str().to_string(),
                    _ => continue,
                };
                let index = match raw.named.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        raw.named.push((name, Raw::default()));
                        raw.named.len() - 1
                    }
                };
                let r = &mut raw.named[index].1;
                let params = item.params();
                let int = |k: &str| {
                    params
                        .get(k)?
                        .as_integer()
                        .and_then(|i| u64::try_from(i).ok())
                };
                let set = |slot: &mut Option<u64>, v: Option<u64>| *slot = v.or(*slot);
                if field == Field::RateLimitPolicy {
                    set(&mut r.quota, int("q"));
                    set(&mut r.window_s, int("w"));
                    r.unit = match params.get("qu") {
                        Some(BareItem::String(s)) => Some(s.chars().collect()),
                        Some(BareItem::Token(t)) => Some(t.as_str().to_string()),
                        _ => r.unit.take(),
                    };
                } else {
                    set(&mut r.quota, int("q"));
                    set(&mut r.remaining, int("r"));
                    set(&mut r.reset_s, int("t"));
                }
                if let Some(BareItem::ByteSequence(b)) = params.get("pk") {
                    r.partition = Some(String::from_utf8_lossy(b.raw()).into_owned());
                }
            }
        }
        let legacy = |names: &[&str]| {
            names.iter().find_map(|n| {
                let (_, v) = head
                    .headers
                    .iter()
                    .find(|(h, _)| h.eq_ignore_ascii_case(n))?;
                match sf::parse_list(v).ok()?.members().next()? {
                    Member::Item(i) => i.bare().as_integer().and_then(|i| u64::try_from(i).ok()),
                    Member::InnerList(_) => None,
                }
            })
        };
        raw.unnamed.quota = legacy(&["x-ratelimit-limit", "ratelimit-limit", "x-rate-limit-limit"]);
        raw.unnamed.remaining = legacy(&[
            "x-ratelimit-remaining",
            "ratelimit-remaining",
            "x-rate-limit-remaining",
        ]);
        raw
    }

    /// `p` as reported: the core's numbers, in full where it saturated them.
    fn report(&self, p: &Policy) -> PolicyReport {
        let raw = match p.name() {
            Some(n) => self
                .named
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, r)| r.clone()),
            None => Some(self.unnamed.clone()),
        }
        .unwrap_or_default();
        // Where the core's 32 bits saturated, the value as sent.
        let full = |core: Option<u32>, sent: Option<u64>| match (core, sent) {
            (Some(u32::MAX), Some(v)) => Some(v),
            (core, _) => core.map(u64::from),
        };
        let secs =
            |d: Option<Duration>| d.map(|d| u32::try_from(d.as_secs_ceil()).unwrap_or(u32::MAX));
        let unit = match p.unit() {
            QuotaUnit::Requests => "requests".to_string(),
            QuotaUnit::ContentBytes => "content-bytes".to_string(),
            QuotaUnit::ConcurrentRequests => "concurrent-requests".to_string(),
            QuotaUnit::Other => raw.unit.clone().unwrap_or_else(|| "other".to_string()),
        };
        PolicyReport {
            name: p.name().map(str::to_string),
            quota: full(p.quota(), raw.quota),
            unit,
            window_s: full(secs(p.window()), raw.window_s),
            remaining: full(p.remaining(), raw.remaining),
            reset_s: full(secs(p.reset()), raw.reset_s),
            partition: raw.partition,
        }
    }
}
