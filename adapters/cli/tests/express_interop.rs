//! Interop with a real third-party server: express-rate-limit from npm (versions pinned in
//! `tests/express/package.json` and its lock file), with `standardHeaders` draft-6, draft-7,
//! draft-8 and legacy `X-RateLimit-*` headers, two stacked limiters each ("minute" then "day",
//! scaled to 6 per 8 s and 15 per 24 s).
//!
//! Needs node and `npm ci` in `tests/express`. Without them these tests print why and pass,
//! unless `HEADROOM_REQUIRE_PEERS` is set (`.ci/run` sets it), when they fail.
//!
//! Stacked express limiters before draft-8 write the same unnamed header fields, so a 2xx shows
//! only the last limiter's ("day") numbers and the "minute" limit shows only on its own 429s. A
//! client learning from headers alone therefore meets one 429 per draft-6/7 run (after which it
//! knows the minute window from `RateLimit-Policy`), and one per minute window with legacy
//! headers (which carry no window); configured with the minute rate, none at all.

use headroom_ureq::{Client, Rate, SharedLimiter};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

// Windows of 8 s and more: the limiter's send-time guard is 1/64 of a window (125 ms here), and
// on a loaded machine a request can reach the server that much later than it was granted.
const MINUTE: (u32, u64) = (6, 8);
const DAY: (u32, u64) = (15, 24);
/// More than a day window's quota, so every run crosses a day reset.
const BATCH: u32 = 20;

struct Peer {
    child: Child,
    ports: serde_json::Value,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the express peer, or says why it cannot (failing when peers are required).
fn peer() -> Option<Peer> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/express");
    let unavailable = |why: String| {
        if std::env::var_os("HEADROOM_REQUIRE_PEERS").is_some() {
            panic!("express peer required but unavailable: {why}");
        }
        // Written to the stream itself, so plain `cargo test` shows it: the harness captures
        // `eprintln!` of a passing test.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipping express-rate-limit interop: {why}"
        );
        None
    };
    if !dir.join("node_modules/express-rate-limit").is_dir() {
        return unavailable(format!("run `npm ci` in {}", dir.display()));
    }
    let spawned = Command::new("node")
        .arg("server.js")
        .current_dir(&dir)
        .env("MINUTE_LIMIT", MINUTE.0.to_string())
        .env("MINUTE_MS", (MINUTE.1 * 1000).to_string())
        .env("DAY_LIMIT", DAY.0.to_string())
        .env("DAY_MS", (DAY.1 * 1000).to_string())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return unavailable(format!("cannot run node: {e}")),
    };
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped");
    let read = BufReader::new(stdout).read_line(&mut line);
    let mut peer = Peer {
        child,
        ports: serde_json::Value::Null,
    };
    match (read, serde_json::from_str(&line)) {
        (Ok(n), Ok(ports)) if n > 0 => peer.ports = ports,
        _ => panic!("the express peer did not start (first line: {line:?})"),
    }
    Some(peer)
}

/// What one client saw working through the batch.
#[derive(Debug)]
struct Run {
    mode: &'static str,
    configured: bool,
    ok: u32,
    throttled: u64,
    /// Policies the limiter learned, as (quota, window_s), sorted.
    learned: Vec<(u32, u64)>,
}

fn run(peer: &Peer, mode: &'static str, configured: bool) -> Run {
    let port = peer.ports[mode].as_u64().expect("port for mode");
    let rates: Vec<Rate> = if configured {
        vec![format!("{}/{}s", MINUTE.0, MINUTE.1).parse().unwrap()]
    } else {
        Vec::new()
    };
    let key = format!("Bearer {mode}-{configured}");
    let client = Client::builder(SharedLimiter::new(&rates).unwrap())
        .header("Authorization", &key)
        .build();
    let mut ok = 0;
    for i in 0..BATCH {
        let url = format!("http://127.0.0.1:{port}/v1/records?i={i}");
        match client.get(&url) {
            Ok(r) if r.status() == 200 => ok += 1,
            Ok(r) => panic!("{mode}: {url} ended in {}", r.status()),
            Err(e) => panic!("{mode}: {url}: {e}"),
        }
    }
    let limiter = client.limiter().snapshot();
    let w = limiter.windows();
    let rules = [w.0.rule(), w.1.rule(), w.2.rule(), w.3.rule()];
    let mut learned: Vec<(u32, u64)> = rules
        .iter()
        .filter(|rule| !rule.is_local())
        .filter_map(|rule| Some((rule.quota()?, rule.length().as_millis() / 1000)))
        .collect();
    learned.sort();
    Run {
        mode,
        configured,
        ok,
        throttled: client.stats().throttled(),
        learned,
    }
}

#[test]
fn express_rate_limit_in_every_header_mode() {
    let Some(peer) = peer() else { return };
    let modes = ["draft-6", "draft-7", "draft-8", "legacy"];
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = modes
            .iter()
            .flat_map(|&m| [(m, false), (m, true)])
            .map(|(m, c)| {
                let peer = &peer;
                s.spawn(move || run(peer, m, c))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &runs {
        eprintln!("{r:?}");
        assert_eq!(r.ok, BATCH, "{r:?}");
        let allowed = match (r.mode, r.configured) {
            (_, true) | ("draft-8", _) => 0,
            ("draft-6" | "draft-7", _) => 1,
            // One per minute window the batch spans.
            _ => u64::from(BATCH.div_ceil(MINUTE.0)) + 1,
        };
        assert!(r.throttled <= allowed, "{r:?}: more than {allowed} 429s");
        // Whatever the server declares with a window is learned: both limiters with draft-8,
        // and with draft-6/7 the day's on every 2xx and the minute's on its 429. A configured
        // minute rate takes the server's minute policy into the configured window instead.
        let expected: &[(u32, u64)] = match (r.mode, r.configured) {
            ("legacy", _) => &[],
            (_, false) => &[(MINUTE.0, MINUTE.1), (DAY.0, DAY.1)],
            (_, true) => &[(DAY.0, DAY.1)],
        };
        assert_eq!(r.learned, expected, "{r:?}");
    }
}
