//! `headroom serve`: a local SynthLink-compatible API, written from the seed document.
//!
//! - Fixed windows aligned to the clock (a window of 86,400 s resets at midnight UTC), counted
//!   per identity: every key of one identity draws from the same pool.
//! - `Authorization: Bearer KEY`; an unknown or missing key → 401 (not counted).
//! - Every counted response carries the document's headers:
//!   `RateLimit-Policy: "minute";q=60;w=60, "day";q=1000;w=86400` and
//!   `RateLimit: "minute";r=42;t=12, "day";r=913;t=43120` (`t` rounded up to whole seconds).
//! - Over quota → 429 with `Retry-After: N` and `{"error": "Too Many Requests", "retry_after": N}`
//!   (the refused request is not counted). `limit` above 100 (or not a positive number) → 400.
//! - Test knobs: [`HeaderMode`] (none, malformed) and [`Fault`] (close, stall).

use base64::prelude::{BASE64_STANDARD, Engine as _};
use headroom_ureq::Clock;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One window of the server's policy: `NAME:Q:W`, or `NAME:Q:W@/PREFIX` for a window that
/// counts only the requests whose path starts with `/PREFIX` (as GitHub's `search` resource
/// counts searches only). A routed window is sent as a draft -11 partition: `pk` is its
/// name in base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySpec {
    /// Its name in the headers.
    pub name: String,
    /// Requests per window.
    pub quota: u64,
    /// Window length in seconds.
    pub window_s: u64,
    /// The path prefix it counts; `None`: every request.
    pub route: Option<String>,
}

impl PolicySpec {
    /// Whether a request for `path` counts in this window.
    pub fn counts(&self, path: &str) -> bool {
        self.route.as_deref().is_none_or(|r| path.starts_with(r))
    }
}

impl FromStr for PolicySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("invalid policy {s:?} (expected NAME:Q:W[@/PREFIX], e.g. minute:60:1m)");
        let (s, route) = match s.split_once('@') {
            Some((spec, route)) if route.starts_with('/') => (spec, Some(route.to_string())),
            Some(_) => return Err(bad()),
            None => (s, None),
        };
        let mut parts = s.split(':');
        let (Some(name), Some(q), Some(w), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        let quota = q.parse().map_err(|_| bad())?;
        // The one duration syntax of every headroom tool (`60`, `5s`, `1m`, `1d`).
        let window = headroom_std::parse_duration(w).map_err(|why| format!("{}: {why}", bad()))?;
        let window_ms = window.as_millis();
        if !token {
            return Err(bad());
        }
        if window_ms % 1000 != 0 {
            return Err(format!("{}: the window must be whole seconds", bad()));
        }
        let window_s = window_ms / 1000;
        Ok(PolicySpec {
            name: name.to_string(),
            quota,
            window_s,
            route,
        })
    }
}

/// The seed's policy: 60 per minute and 1,000 per day.
pub fn synthlink_policy() -> Vec<PolicySpec> {
    vec![
        PolicySpec {
            name: "minute".into(),
            quota: 60,
            window_s: 60,
            route: None,
        },
        PolicySpec {
            name: "day".into(),
            quota: 1000,
            window_s: 86_400,
            route: None,
        },
    ]
}

/// Where a server's windows start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum WindowStart {
    /// On the clock: a window of `w` seconds starts at every multiple of `w` since the Unix
    /// epoch, for every identity at once (SynthLink's documented behaviour).
    #[default]
    Clock,
    /// At an identity's first request after its last window ended, as express-rate-limit's
    /// memory store and a Redis `INCR` + `EXPIRE` counter do.
    FirstRequest,
}

/// Which rate-limit headers the server sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum HeaderMode {
    /// The document's headers.
    #[default]
    Full,
    /// None at all, and no `retry_after` in the 429 body: clients must back off blind.
    None,
    /// Malformed values for every rate-limit field.
    Malformed,
}

/// A misbehaviour to test clients against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Answer normally.
    #[default]
    None,
    /// Read the request, then close the connection without answering.
    Close,
    /// Read the request, then never answer (until the client hangs up).
    Stall,
}

/// What to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The windows.
    pub policies: Vec<PolicySpec>,
    /// `(key, identity)` pairs.
    pub keys: Vec<(String, String)>,
    /// Headers sent.
    pub headers: HeaderMode,
    /// Misbehaviour.
    pub fault: Fault,
    /// Where the windows start.
    pub window_start: WindowStart,
    /// Serve HTTPS with this identity (see [`TlsIdentity::generate`]); plain HTTP when `None`.
    pub tls: Option<TlsIdentity>,
}

/// A certificate made at start for `serve --tls`, and the rustls configuration serving it.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The server configuration (rustls, ring).
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate, DER: a client's trust anchor (self-signed, `CN=localhost`, for the
    /// names `localhost` and `127.0.0.1`).
    pub cert_der: Vec<u8>,
    /// Where the certificate was written, PEM (`cert.pem`) beside DER (`cert.der`).
    pub cert_path: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A fresh self-signed ECDSA P-256 certificate for `localhost` and `127.0.0.1`, its
    /// common name `localhost` (embedded-tls matches the common name), written to `dir`
    /// when given.
    pub fn generate(dir: Option<&std::path::Path>) -> io::Result<TlsIdentity> {
        let fail = |e: &dyn std::fmt::Display| io::Error::other(e.to_string());
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .map_err(|e| fail(&e))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().map_err(|e| fail(&e))?;
        let cert = params.self_signed(&key).map_err(|e| fail(&e))?;
        let cert_der = cert.der().to_vec();
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(&e))?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone().into()], key_der)
            .map_err(|e| fail(&e))?;
        let cert_path = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                std::fs::write(dir.join("cert.der"), &cert_der)?;
                let pem = dir.join("cert.pem");
                std::fs::write(&pem, cert.pem())?;
                Some(pem)
            }
            None => None,
        };
        Ok(TlsIdentity {
            config: Arc::new(config),
            cert_der,
            cert_path,
        })
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            port: 0,
            policies: synthlink_policy(),
            keys: default_keys(),
            headers: HeaderMode::Full,
            fault: Fault::None,
            window_start: WindowStart::Clock,
            tls: None,
        }
    }
}

/// Two keys of one identity, used when no `--key` is given.
pub fn default_keys() -> Vec<(String, String)> {
    vec![
        ("key-a".into(), "dev@example.com".into()),
        ("key-b".into(), "dev@example.com".into()),
    ]
}

/// Counters, for tests and the demo's summary.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Requests answered 2xx.
    pub ok: AtomicU64,
    /// Requests refused with 429.
    pub throttled: AtomicU64,
    /// Requests answered with another status.
    pub other: AtomicU64,
}

/// The fixed windows of every identity: the one server model of the project (serve, the
/// simulation, the limiter's tests against a server, and `.ci`'s ideal schedules).
#[derive(Debug)]
pub struct Quotas {
    policies: Vec<PolicySpec>,
    start: WindowStart,
    /// identity → per policy (window end in Unix ms, count).
    counts: Mutex<HashMap<String, Vec<(u64, u64)>>>,
}

/// The outcome of counting one request.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// False when a window was full (the request was not counted).
    pub allowed: bool,
    /// `(remaining, reset_s)` per policy that counts the request, after counting.
    pub state: Vec<(u64, u64)>,
    /// Which policies count the request (all, unless some are routed).
    pub counted: Vec<bool>,
    /// Seconds until the fullest window resets, when refused.
    pub retry_after_s: u64,
}

impl Quotas {
    /// Empty windows for `policies`, starting on the clock.
    pub fn new(policies: Vec<PolicySpec>) -> Self {
        Quotas::starting(policies, WindowStart::Clock)
    }

    /// Empty windows for `policies`, starting as `start` says.
    pub fn starting(policies: Vec<PolicySpec>, start: WindowStart) -> Self {
        Quotas {
            policies,
            start,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// The policies.
    pub fn policies(&self) -> &[PolicySpec] {
        &self.policies
    }

    /// Counts a request by `identity` at Unix time `now_ms`, unless a window is full.
    pub fn take(&self, identity: &str, now_ms: u64) -> Verdict {
        self.take_for(identity, "/", now_ms)
    }

    /// Counts a request for `path` by `identity` at Unix time `now_ms` in the windows that
    /// count that path, unless one of them is full.
    pub fn take_for(&self, identity: &str, path: &str, now_ms: u64) -> Verdict {
        let mut all = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let counts = all
            .entry(identity.to_string())
            .or_insert_with(|| vec![(0, 0); self.policies.len()]);
        let counted: Vec<bool> = self.policies.iter().map(|p| p.counts(path)).collect();
        take(&self.policies, self.start, counts, &counted, now_ms)
    }

    /// When the `n`-th request would be accepted, sending as soon as every window allows, from
    /// `start_ms` with empty clock-aligned windows: the ideal schedule no client can beat.
    pub fn ideal_finish_ms(policies: &[PolicySpec], start_ms: u64, n: u64) -> u64 {
        let mut counts = vec![(0, 0); policies.len()];
        let (mut t, mut done) = (start_ms, 0);
        if policies.iter().any(|p| p.quota == 0) || n == 0 {
            return start_ms;
        }
        let every = vec![true; policies.len()];
        loop {
            if take(policies, WindowStart::Clock, &mut counts, &every, t).allowed {
                done += 1;
                if done == n {
                    return t;
                }
            } else {
                t = policies
                    .iter()
                    .map(|p| (t / (p.window_s * 1000) + 1) * p.window_s * 1000)
                    .min()
                    .unwrap_or(t + 1);
            }
        }
    }
}

fn take(
    policies: &[PolicySpec],
    start: WindowStart,
    counts: &mut [(u64, u64)],
    counted: &[bool],
    now_ms: u64,
) -> Verdict {
    for (p, c) in policies.iter().zip(counts.iter_mut()) {
        let w = p.window_s * 1000;
        if now_ms >= c.0 {
            let end = match start {
                WindowStart::Clock => (now_ms / w + 1) * w,
                WindowStart::FirstRequest => now_ms + w,
            };
            *c = (end, 0);
        }
    }
    let full: Vec<bool> = policies
        .iter()
        .zip(counts.iter())
        .zip(counted)
        .map(|((p, c), &counts)| counts && c.1 >= p.quota)
        .collect();
    let allowed = !full.contains(&true);
    if allowed {
        counts
            .iter_mut()
            .zip(counted)
            .filter(|(_, counts)| **counts)
            .for_each(|(c, _)| c.1 += 1);
    }
    let state: Vec<(u64, u64)> = policies
        .iter()
        .zip(counts.iter())
        .zip(counted)
        .filter(|(_, counts)| **counts)
        .map(|((p, &(end, count)), _)| {
            (p.quota.saturating_sub(count), (end - now_ms).div_ceil(1000))
        })
        .collect();
    let full: Vec<bool> = full
        .into_iter()
        .zip(counted)
        .filter(|(_, c)| **c)
        .map(|(f, _)| f)
        .collect();
    let retry_after_s = state
        .iter()
        .zip(&full)
        .filter(|(_, f)| **f)
        .map(|(s, _)| s.1)
        .max()
        .unwrap_or(0);
    Verdict {
        allowed,
        state,
        retry_after_s,
        counted: counted.to_vec(),
    }
}

/// A running server. It stops accepting when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    tls: bool,
    stop: Arc<AtomicBool>,
    /// Counters.
    pub stats: Arc<ServerStats>,
}

impl Server {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` when serving TLS (the name its
    /// certificate carries).
    pub fn base_url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
    }
}

struct Shared<C> {
    options: ServeOptions,
    quotas: Quotas,
    clock: C,
    stats: Arc<ServerStats>,
}

/// Binds and serves on background threads, one per connection.
pub fn spawn<C: Clock>(options: ServeOptions, clock: C) -> io::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", options.port))?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ServerStats::default());
    let shared = Arc::new(Shared {
        quotas: Quotas::starting(options.policies.clone(), options.window_start),
        options,
        clock,
        stats: stats.clone(),
    });
    let stopping = stop.clone();
    let tls = shared.options.tls.is_some();
    std::thread::Builder::new()
        .name("headroom-serve".into())
        .spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                let _ = std::thread::Builder::new().spawn(move || {
                    if let Err(e) = serve_stream(stream, &shared) {
                        log::debug!("serve: connection ended: {e}");
                    }
                });
            }
        })?;
    Ok(Server {
        addr,
        tls,
        stop,
        stats,
    })
}

/// One accepted connection, in TLS when serving it.
fn serve_stream<C: Clock>(stream: TcpStream, shared: &Shared<C>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    match &shared.options.tls {
        Some(identity) => {
            let conn = rustls::ServerConnection::new(Arc::clone(&identity.config))
                .map_err(io::Error::other)?;
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let served = connection(&mut tls, shared);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            served
        }
        None => connection(stream, shared),
    }
}

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: u64 = 1 << 20;

/// Serves requests on one keep-alive connection. The whole head is read before answering.
fn connection<C: Clock, S: Read + Write>(stream: S, shared: &Shared<C>) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = Vec::new();
        // A request starts with a method token. Anything else (a TLS ClientHello sent to
        // this plain port, binary noise) is refused at once, as real servers do, instead of
        // waiting for a line end that may never come.
        match reader.fill_buf()?.first() {
            None => return Ok(()),
            Some(b) if b.is_ascii_alphabetic() || matches!(b, b'\r' | b'\n') => {}
            Some(_) => {
                return write_response(
                    reader.get_mut(),
                    400,
                    &[],
                    b"{\"error\": \"Bad Request\"}",
                    true,
                );
            }
        }
        loop {
            let line_start = head.len();
            let room = (MAX_HEAD + 1 - head.len()) as u64;
            if reader.by_ref().take(room).read_until(b'\n', &mut head)? == 0 {
                return Ok(()); // the client closed the connection
            }
            if head.len() > MAX_HEAD {
                let body = b"{\"error\": \"Request Header Fields Too Large\"}";
                return write_response(reader.get_mut(), 431, &[], body, true);
            }
            if matches!(&head[line_start..], b"\r\n" | b"\n") {
                if line_start == 0 {
                    head.clear(); // stray blank lines between requests
                    continue;
                }
                break;
            }
        }
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut fields);
        if req.parse(&head).map(|s| s.is_partial()).unwrap_or(true) {
            return write_response(
                reader.get_mut(),
                400,
                &[],
                b"{\"error\": \"Bad Request\"}",
                true,
            );
        }
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).into_owned())
        };
        let length: u64 = header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if length > MAX_BODY || header("transfer-encoding").is_some() {
            return write_response(
                reader.get_mut(),
                413,
                &[],
                b"{\"error\": \"Payload Too Large\"}",
                true,
            );
        }
        io::copy(&mut reader.by_ref().take(length), &mut io::sink())?;
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
            || req.version == Some(0);
        match shared.options.fault {
            Fault::Close => return Ok(()),
            Fault::Stall => return io::copy(&mut reader, &mut io::sink()).map(|_| ()),
            Fault::None => {}
        }
        let target = req.path.unwrap_or("/").to_string();
        let (status, headers, body) = answer(shared, &target, header("authorization").as_deref());
        let counter = match status {
            200..=299 => &shared.stats.ok,
            429 => &shared.stats.throttled,
            _ => &shared.stats.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        write_response(reader.get_mut(), status, &headers, body.as_bytes(), close)?;
        if close {
            return Ok(());
        }
    }
}

type Answer = (u16, Vec<(&'static str, String)>, String);

fn answer<C: Clock>(shared: &Shared<C>, target: &str, authorization: Option<&str>) -> Answer {
    let key = authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim);
    let identity = key
        .and_then(|k| shared.options.keys.iter().find(|(key, _)| key == k))
        .map(|(_, id)| id);
    let Some(identity) = identity else {
        return (
            401,
            vec![],
            r#"{"error": "Unauthorized", "message": "unknown or missing API key"}"#.into(),
        );
    };
    let now_ms = shared.clock.unix_ms().unwrap_or(0);
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let verdict = shared.quotas.take_for(identity, path, now_ms);
    let mut headers = vec![("Date", date(now_ms))];
    headers.extend(rate_limit_headers(
        shared.options.headers,
        &shared.options.policies,
        &verdict,
    ));
    if !verdict.allowed {
        let body = match shared.options.headers {
            HeaderMode::None => r#"{"error": "Too Many Requests"}"#.to_string(),
            _ => format!(
                r#"{{"error": "Too Many Requests", "retry_after": {}}}"#,
                verdict.retry_after_s
            ),
        };
        return (429, headers, body);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let limit = query.split('&').find_map(|kv| kv.strip_prefix("limit="));
    let limit = match limit.map(str::parse::<u64>) {
        None => 10,
        Some(Ok(n @ 1..=100)) => n,
        Some(_) => {
            let body = r#"{"error": "Bad Request", "message": "limit must be a whole number from 1 to 100"}"#;
            return (400, headers, body.into());
        }
    };
    let data: Vec<String> = (1..=limit).map(|i| format!("{{\"id\": {i}}}")).collect();
    let body = format!(
        r#"{{"path": {}, "limit": {limit}, "data": [{}]}}"#,
        serde_json::Value::from(path),
        data.join(", ")
    );
    (200, headers, body)
}

/// The rate-limit header fields `serve` sends with `verdict` (the seed's formats in
/// [`HeaderMode::Full`]). The simulation answers its virtual requests with these too.
pub fn rate_limit_headers(
    mode: HeaderMode,
    policies: &[PolicySpec],
    verdict: &Verdict,
) -> Vec<(&'static str, String)> {
    match mode {
        HeaderMode::None => vec![],
        HeaderMode::Malformed => {
            let mut h = vec![
                (
                    "RateLimit-Policy",
                    "\"minute\";q=sixty;w=60, day;;q".to_string(),
                ),
                ("RateLimit", "minute r=;t=?".to_string()),
            ];
            if !verdict.allowed {
                h.push(("Retry-After", "soon".to_string()));
            }
            h
        }
        HeaderMode::Full => {
            let counted: Vec<&PolicySpec> = policies
                .iter()
                .zip(&verdict.counted)
                .filter(|(_, c)| **c)
                .map(|(p, _)| p)
                .collect();
            // A routed window is a partition of the identity's quota: `pk` names it.
            let pk = |p: &PolicySpec| match p.route {
                Some(_) => format!(";pk=:{}:", BASE64_STANDARD.encode(&p.name)),
                None => String::new(),
            };
            let policy = counted
                .iter()
                .map(|p| format!("\"{}\";q={};w={}{}", p.name, p.quota, p.window_s, pk(p)));
            let state = counted
                .iter()
                .zip(&verdict.state)
                .map(|(p, (r, t))| format!("\"{}\";r={r};t={t}{}", p.name, pk(p)));
            let mut h = vec![
                ("RateLimit-Policy", policy.collect::<Vec<_>>().join(", ")),
                ("RateLimit", state.collect::<Vec<_>>().join(", ")),
            ];
            if !verdict.allowed {
                h.push(("Retry-After", verdict.retry_after_s.to_string()));
            }
            h
        }
    }
}

fn date(unix_ms: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(unix_ms))
}

fn write_response(
    out: &mut impl Write,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    close: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    // One write: a head and a body in two small segments meet Nagle's algorithm and the
    // client's delayed ACK, costing ~40 ms per response.
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    out.write_all(&response)?;
    out.flush()
}
