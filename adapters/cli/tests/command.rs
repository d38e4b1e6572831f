//! The `headroom` command as a newcomer meets it: bad input fails at once in words, failures
//! are one line (details at -v), the help says what a user needs, and the progress bar tells
//! what it waits for. Runs the real binary.

use headroom_cli::serve::{self, PolicySpec, ServeOptions};
use headroom_ureq::SystemClock;
use std::process::{Command, Output, Stdio};

fn headroom(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn an_invalid_url_fails_at_once_with_one_line_and_exit_2() {
    for (url, why) in [
        ("not-a-url", "no scheme"),
        ("ftp://example.com/x", "unsupported scheme"),
        ("http://", "not a URL"),
        ("https://exa mple.com/", "not a URL"),
    ] {
        let out = headroom(&["fetch", url], b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert_eq!(err.lines().count(), 1, "{url}: {err}");
        assert!(
            err.contains("invalid URL") && err.contains(why),
            "{url}: {err}"
        );
        assert!(out.stdout.is_empty(), "nothing was fetched");
    }
}

#[test]
fn a_refused_connection_is_one_line_in_words_and_details_go_to_verbose() {
    let url = format!("http://127.0.0.1:{}/v1/lists", free_port());
    let out = headroom(&["fetch", "--max-retries", "1", &url], b"");
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let error = line["error"].as_str().unwrap();
    assert!(
        error.starts_with("no response after 2 attempts: "),
        "{error}"
    );
    assert!(
        !error.contains('{') && !error.contains("::"),
        "words, not Debug: {error}"
    );
    assert!(!stderr.contains("WARN"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "only the summary: {stderr}");
    assert!(stderr.contains("2 requests sent"), "{stderr}");

    let verbose = headroom(&["-v", "fetch", "--max-retries", "1", &url], b"");
    let stderr = text(&verbose.stderr);
    assert!(stderr.contains("retry 1"), "{stderr}");
}

#[test]
fn https_to_a_plain_port_says_the_tls_handshake_failed_and_is_not_retried() {
    let server = serve::spawn(ServeOptions::default(), SystemClock::new()).unwrap();
    let url = format!("https://127.0.0.1:{}/v1/lists", server.port());
    let out = headroom(&["fetch", "--timeout", "20", &url], b"");
    let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let error = line["error"].as_str().unwrap();
    assert!(error.contains("TLS handshake failed"), "{error}");
    assert_eq!(line["attempts"], 1, "{line}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn serve_answers_a_request_head_that_is_not_http_with_400_and_closes() {
    use std::io::{Read, Write};
    let server = serve::spawn(ServeOptions::default(), SystemClock::new()).unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // The first bytes of a TLS ClientHello: no line end anywhere.
    stream
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 400"), "{}", text(&reply));
}

#[test]
fn inspect_on_empty_input_is_an_error() {
    for input in [&b""[..], b"\n \r\n"] {
        let out = headroom(&["inspect"], input);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("no input"),
            "{}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_summary_counts_requests_sent_in_good_english() {
    let server = serve::spawn(ServeOptions::default(), SystemClock::new()).unwrap();
    let url = format!("{}/v1/lists", server.base_url());
    let out = headroom(&["fetch", "-H", "Authorization: Bearer key-a", &url], b"");
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(" 1 request sent, 1 2xx, 0 429s, 0 retries"),
        "{stderr}"
    );
}

#[test]
fn help_says_how_keys_are_sent_and_what_exit_codes_mean() {
    let serve = text(&headroom(&["serve", "--help"], b"").stdout);
    assert!(serve.contains("Authorization: Bearer KEY"), "{serve}");
    let top = text(&headroom(&["--help"], b"").stdout);
    for code in [
        "0 every URL succeeded",
        "1 some URL failed",
        "2 bad usage or input",
    ] {
        assert!(top.contains(code), "{top}");
    }
}

#[test]
fn policies_take_the_same_durations_as_rates() {
    let p: PolicySpec = "minute:20:5s".parse().unwrap();
    assert_eq!((p.quota, p.window_s), (20, 5));
    let p: PolicySpec = "day:1000:1d@/search".parse().unwrap();
    assert_eq!((p.window_s, p.route.as_deref()), (86_400, Some("/search")));
    assert_eq!("m:1:60".parse::<PolicySpec>().unwrap().window_s, 60);
    for bad in ["m:1:500ms", "m:1:5y", "m:1:0s", "m:x:5s"] {
        assert!(bad.parse::<PolicySpec>().is_err(), "{bad}");
    }
    let out = headroom(&["serve", "--port", "0", "--policy", "minute:20:5y"], b"");
    assert_eq!(out.status.code(), Some(2));
}

/// The progress bar draws only on a terminal: run under `script`, which gives the command a
/// pty (util-linux, on every Debian). Waiting on a 2-per-minute window, the bar must say so.
#[test]
fn the_progress_bar_shows_429s_retries_and_what_it_waits_for() {
    let Ok(script) = which("script") else {
        let required = std::env::var_os("HEADROOM_REQUIRE_PEERS").is_some();
        let say = "SKIPPED the_progress_bar_shows_429s_retries_and_what_it_waits_for: no `script` (util-linux) for a pty";
        assert!(!required, "{say}");
        std::io::Write::write_all(&mut std::io::stderr(), format!("{say}\n").as_bytes()).unwrap();
        return;
    };
    let opts = ServeOptions {
        policies: vec!["minute:2:3s".parse().unwrap()],
        ..ServeOptions::default()
    };
    let server = serve::spawn(opts, SystemClock::new()).unwrap();
    let urls: Vec<String> = (0..4)
        .map(|i| format!("{}/v1/lists?i={i}", server.base_url()))
        .collect();
    let command = format!(
        "{} fetch -H 'Authorization: Bearer key-a' --rate 2/3s {} > /dev/null",
        env!("CARGO_BIN_EXE_headroom"),
        urls.join(" ")
    );
    let out = Command::new(script)
        .args(["-qefc", &command, "/dev/null"])
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = text(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("0 429s, 0 retries"), "{screen}");
    assert!(
        screen.contains("waiting ") && screen.contains("s: the 3s window (2 requests) is full"),
        "{screen}"
    );
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}
