//! `headroom fetch`: many URLs through one shared limiter, N threads, results in input order.
//! The demo runs its batch through this same code.

use headroom_core::{Config, Duration, RetryPolicy};
use headroom_std::redact_url;
use headroom_ureq::{Client, Clock, Error, Rate, Sent, SharedLimiter};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// How to fetch.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Headers for every request.
    pub headers: Vec<(String, String)>,
    /// Local limits (the server's, when it declares them, are learned on top).
    pub rates: Vec<Rate>,
    /// Threads sharing the limiter.
    pub concurrency: usize,
    /// Retries per URL.
    pub max_retries: u32,
    /// Longest single wait, in seconds, before giving up instead.
    pub max_wait_s: u64,
    /// Per-attempt timeout.
    pub timeout: std::time::Duration,
    /// Share the identity's quota through this Redis (`redis://…`, `rediss://…`), with
    /// [`FetchOptions::identity`] naming it.
    pub redis: Option<String>,
    /// The identity whose quota the processes share (with `redis`).
    pub identity: Option<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            headers: Vec::new(),
            rates: Vec::new(),
            concurrency: 1,
            max_retries: RetryPolicy::DEFAULT.max_retries,
            max_wait_s: Config::DEFAULT.max_wait.as_secs_ceil(),
            timeout: std::time::Duration::from_secs(30),
            redis: None,
            identity: None,
        }
    }
}

/// One URL's result: the JSON line printed.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Outcome {
    /// The URL.
    pub url: String,
    /// The final status, `null` when none was received.
    pub status: Option<u16>,
    /// Requests sent for this URL.
    pub attempts: u32,
    /// The body: JSON when it parses, else a string; `null` when there was none.
    pub body: serde_json::Value,
    /// What went wrong, when the URL did not end in a response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    /// True for a 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A client for `options`, on `clock`.
pub fn client<C: Clock>(options: &FetchOptions, clock: C) -> Result<Client<C>, Error> {
    let config = Config {
        max_wait: Duration::from_secs(options.max_wait_s),
        ..Config::DEFAULT
    };
    let limiter = match (&options.redis, &options.identity) {
        (Some(url), Some(identity)) => {
            SharedLimiter::with_redis_and_clock(url, identity, &options.rates, config, clock)?
        }
        (Some(_), None) => {
            return Err(Error::InvalidRequest(
                "--redis needs --identity: the name the processes share a quota under".into(),
            ));
        }
        _ => SharedLimiter::with_clock(&options.rates, config, clock)?,
    };
    let retry = RetryPolicy {
        max_retries: options.max_retries,
        ..RetryPolicy::DEFAULT
    };
    let mut builder = Client::builder(limiter)
        .retry(retry)
        .timeout(options.timeout);
    for (name, value) in &options.headers {
        builder = builder.header(name, value);
    }
    Ok(builder.build())
}

/// Reads a response's body whole (up to 10 MiB) for the printed line.
fn read_body(response: &mut http::Response<ureq::Body>) -> Result<Vec<u8>, String> {
    response
        .body_mut()
        .with_config()
        .limit(10 << 20)
        .read_to_vec()
        .map_err(|e| format!("reading the body: {e}"))
}

/// Fetches `url` once through `client` (retries included).
pub fn fetch_one<C: Clock>(client: &Client<C>, url: &str) -> Outcome {
    let as_json = |body: &[u8]| {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| serde_json::Value::from(String::from_utf8_lossy(body).into_owned()))
    };
    let outcome = |status, attempts, body: Result<Vec<u8>, String>, error: Option<String>| {
        let (body, error) = match body {
            Ok(b) => (as_json(&b), error),
            Err(e) => (serde_json::Value::Null, error.or(Some(e))),
        };
        Outcome {
            url: redact_url(url).into_owned(),
            status,
            attempts,
            body,
            error,
        }
    };
    match client.get(url) {
        Ok(mut r) => {
            let attempts = Sent::of(&r).map_or(1, |s| s.attempts);
            let body = read_body(&mut r);
            outcome(Some(r.status().as_u16()), attempts, body, None)
        }
        Err(Error::GaveUp {
            reason,
            mut response,
        }) => {
            let attempts = Sent::of(&response).map_or(1, |s| s.attempts);
            let status = response.status().as_u16();
            let body = read_body(&mut response);
            let error = format!("HTTP {status}: {reason}");
            outcome(Some(status), attempts, body, Some(error))
        }
        Err(e) => {
            let attempts = match &e {
                Error::Transport { attempts, .. } => *attempts,
                _ => 0,
            };
            outcome(None, attempts, Ok(Vec::new()), Some(e.to_string()))
                .with_body(serde_json::Value::Null)
        }
    }
}

impl Outcome {
    fn with_body(mut self, body: serde_json::Value) -> Self {
        self.body = body;
        self
    }
}

/// Fetches every URL with `concurrency` threads sharing `client`, calling `emit` for each
/// outcome in input order as soon as it and all before it are done. Returns the outcomes.
pub fn run<C: Clock>(
    client: &Client<C>,
    urls: &[String],
    concurrency: usize,
    mut emit: impl FnMut(usize, &Outcome),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let mut ready = BTreeMap::new();
    let mut out = Vec::with_capacity(urls.len());
    std::thread::scope(|s| {
        for _ in 0..concurrency.clamp(1, urls.len().max(1)) {
            let (tx, next) = (tx.clone(), &next);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    if tx.send((i, fetch_one(client, url))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, outcome) in rx {
            ready.insert(i, outcome);
            while let Some(o) = ready.remove(&out.len()) {
                emit(out.len(), &o);
                out.push(o);
            }
        }
    });
    out
}

/// Restores the limiter's state from `path`, saved by an earlier run; `Ok(false)` when there
/// is no such file yet (a first run). A file that cannot be read as a state is an error, and
/// is left as it is.
pub fn load_state<C: Clock>(client: &Client<C>, path: &Path) -> Result<bool, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(format!(
                "cannot read the state file {}: {e}",
                path.display()
            ));
        }
    };
    client
        .limiter()
        .restore_state(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
}

/// Writes the limiter's state to `path` atomically: into a temporary file beside it, then
/// renamed over it, so a crash leaves the old state or the new one, never half of one.
pub fn store_state<C: Clock>(client: &Client<C>, path: &Path) -> Result<(), String> {
    let bytes = client.limiter().save_state().map_err(|e| e.to_string())?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write the state file {}: {e}", path.display())
    })
}

/// The one-line summary printed on stderr.
pub fn summary<C: Clock>(client: &Client<C>, elapsed: std::time::Duration) -> String {
    let s = client.stats();
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "headroom: {} sent, {} 2xx, {}, {}, {:.1} s elapsed",
        plural(s.sent(), "request", "requests"),
        s.ok(),
        plural(s.throttled(), "429", "429s"),
        plural(s.retries(), "retry", "retries"),
        elapsed.as_secs_f64()
    )
}

/// Stops the progress bar's ticker thread when dropped.
pub struct Ticker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the progress bar says beside the count: 429s, retries, and what the limiter waits
/// for and how long.
pub fn progress_message<C: Clock>(client: &Client<C>) -> String {
    let s = client.stats();
    let mut message = format!("{} 429s, {} retries", s.throttled(), s.retries());
    if let Some((wait, what)) = client.limiter().holding_back() {
        message.push_str(&format!(" · waiting {} s: {what}", wait.as_secs_ceil()));
    }
    message
}

/// A progress bar for `len` URLs, its message refreshed by a ticker thread four times a
/// second.
pub fn progress_bar<C: Clock>(client: &Client<C>, len: usize) -> (indicatif::ProgressBar, Ticker) {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar.set_message(progress_message(client));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let thread = {
        let (bar, client, stop) = (bar.clone(), client.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                bar.set_message(progress_message(&client));
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        })
    };
    (
        bar,
        Ticker {
            stop,
            thread: Some(thread),
        },
    )
}
