//! Real third-party peers for the interop tests of every adapter: express-rate-limit from npm
//! (versions pinned in `adapters/cli/tests/express/package.json` and its lock file).
//!
//! A peer that cannot run (no node, no `npm ci`) is reported on stderr and skipped, unless
//! `HEADROOM_REQUIRE_PEERS` is set (`.ci/run` sets it): then it is a failure.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running express server with one port per header mode (`draft-6`, `draft-7`, `draft-8`,
/// `legacy`), two stacked limiters each. Stopped when dropped.
pub struct ExpressPeer {
    child: Child,
    ports: serde_json::Value,
}

impl Drop for ExpressPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ExpressPeer {
    /// The port serving header mode `mode`.
    pub fn port(&self, mode: &str) -> Option<u16> {
        self.ports[mode]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
    }
}

/// Says a peer is unavailable: skipped, or a failure when peers are required.
pub fn unavailable<T>(test: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var_os("HEADROOM_REQUIRE_PEERS").is_none(),
        "{test}: a peer is required but unavailable: {why}"
    );
    // Written to the stream itself, so plain `cargo test` shows it: the harness captures
    // `eprintln!` of a passing test.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    None
}

/// Starts express-rate-limit with a "minute" limiter of `minute = (quota, seconds)` stacked
/// on a "day" one, or says why it cannot.
pub fn express(test: &str, minute: (u32, u64), day: (u32, u64)) -> Option<ExpressPeer> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/express");
    if !dir.join("node_modules/express-rate-limit").is_dir() {
        return unavailable(test, &format!("run `npm ci` in {}", dir.display()));
    }
    let spawned = Command::new("node")
        .arg("server.js")
        .current_dir(&dir)
        .env("MINUTE_LIMIT", minute.0.to_string())
        .env("MINUTE_MS", (minute.1 * 1000).to_string())
        .env("DAY_LIMIT", day.0.to_string())
        .env("DAY_MS", (day.1 * 1000).to_string())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return unavailable(test, &format!("cannot run node: {e}")),
    };
    let mut line = String::new();
    let read = child
        .stdout
        .take()
        .map(|out| BufReader::new(out).read_line(&mut line));
    let mut peer = ExpressPeer {
        child,
        ports: serde_json::Value::Null,
    };
    match (read, serde_json::from_str(&line)) {
        (Some(Ok(n)), Ok(ports)) if n > 0 => peer.ports = ports,
        _ => panic!("the express peer did not start (first line: {line:?})"),
    }
    Some(peer)
}
