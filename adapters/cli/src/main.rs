//! The `headroom` command.

use clap::{Parser, Subcommand};
use headroom_cli::{demo, fetch, inspect, serve};
use headroom_ureq::{Rate, SystemClock};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

/// Keep HTTP clients inside the rate limits of the APIs they call.
#[derive(Parser)]
#[command(
    name = "headroom",
    version,
    about,
    after_help = "Exit codes: 0 every URL succeeded (or the command did its job); \
                  1 some URL failed; 2 bad usage or input."
)]
struct Cli {
    /// More detail on stderr: -v for retries and failed attempts, -vv for every wait.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read an HTTP response head on stdin; print what headroom reads from it as one JSON object.
    Inspect {
        /// The response's time when it has no Date header (Unix seconds; default: the clock).
        #[arg(long, value_name = "UNIX_SECONDS")]
        now: Option<u64>,
    },
    /// Fetch URLs (arguments, or one per line on stdin) within the server's limits; one JSON line each.
    Fetch {
        /// A header for every request, e.g. 'Authorization: Bearer KEY' (repeatable).
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// A local limit, e.g. 60/1m, 1000/1d, 10/2s (repeatable; the server's are learned too).
        #[arg(long = "rate", value_name = "Q/DURATION")]
        rates: Vec<Rate>,
        /// Threads sharing the limiter.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
        /// Retries per URL after a 429 (or a 503 with Retry-After).
        #[arg(long, default_value_t = 3)]
        max_retries: u32,
        /// The longest single wait accepted, in seconds; a longer one fails the URL instead.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        max_wait: u64,
        /// Timeout per attempt, in seconds.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        timeout: u64,
        /// Keep the limiter's state in FILE: restored at start (when it exists), written at the
        /// end, so a run from cron knows what the last one spent.
        #[arg(long, value_name = "FILE")]
        state: Option<std::path::PathBuf>,
        /// Share the quota exactly with every process of the identity through this Redis
        /// (`redis://[user:password@]host:port`, `rediss://` for TLS); needs --identity.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// The identity (e.g. the account's email) whose quota the processes share.
        #[arg(long, value_name = "NAME", requires = "redis")]
        identity: Option<String>,
        /// URLs to fetch (default: read from stdin).
        urls: Vec<String>,
    },
    /// Serve a local SynthLink-compatible API (fixed windows, shared per identity).
    ///
    /// Clients send their key as `Authorization: Bearer KEY`; every key of one identity
    /// draws from the identity's windows. Without --key, the keys are key-a and key-b of
    /// dev@example.com. A request without a known key gets 401.
    Serve {
        /// Port on 127.0.0.1 (0: any free port; the bound port is printed on stdout's first line).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// A window NAME:Q:W, W a duration as for --rate (60, 5s, 1m, 1d) (repeatable;
        /// default minute:60:1m and day:1000:1d); with @/PREFIX it counts only the paths
        /// under PREFIX and is sent with a `pk`.
        #[arg(long = "policy", value_name = "NAME:Q:W[@/PREFIX]")]
        policies: Vec<serve::PolicySpec>,
        /// An API key and its identity, KEY:IDENTITY (repeatable; default key-a and key-b of dev@example.com).
        #[arg(long = "key", value_name = "KEY:IDENTITY")]
        keys: Vec<String>,
        /// Which rate-limit headers to send (none and malformed are for testing clients).
        #[arg(long, value_enum, default_value_t = serve::HeaderMode::Full)]
        headers: serve::HeaderMode,
        /// Misbehave, for testing clients: close connections or stall.
        #[arg(long, value_enum, default_value_t = serve::Fault::None)]
        fault: serve::Fault,
        /// Where windows start: on the clock, or at an identity's first request after the last
        /// window (as express-rate-limit's memory store and Redis INCR + EXPIRE counters do).
        #[arg(long, value_enum, default_value_t = serve::WindowStart::Clock)]
        window_start: serve::WindowStart,
        /// Serve HTTPS with a certificate made at start (self-signed, CN=localhost, for
        /// localhost and 127.0.0.1); where it is written (PEM and DER) is printed on stderr.
        #[arg(long)]
        tls: bool,
    },
    /// Run serve and fetch in-process with scaled windows and compare with the ideal schedule.
    Demo {
        /// Requests in the batch.
        #[arg(long, default_value_t = 1100)]
        requests: usize,
        /// Threads per client.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Clients, each with its own key of the one identity and its own limiter.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        clients: u16,
        /// The server's windows, NAME:Q:W (repeatable; default minute:60:1s and day:1000:20s,
        /// SynthLink's quotas on windows short enough for a demo).
        #[arg(long = "policy", value_name = "NAME:Q:W")]
        policies: Vec<serve::PolicySpec>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A failed URL is one line on stdout; the attempts behind it are details for -v.
    let level = ["error", "headroom=info", "headroom=debug"][usize::from(cli.verbose.min(2))];
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("headroom: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Inspect { now } => {
            let mut input = Vec::new();
            std::io::stdin()
                .read_to_end(&mut input)
                .map_err(|e| format!("reading stdin: {e}"))?;
            let now = now.or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs())
            });
            let report = inspect::inspect(&input, now)?;
            println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch {
            headers,
            rates,
            concurrency,
            max_retries,
            max_wait,
            timeout,
            state,
            redis,
            identity,
            urls,
        } => {
            let headers = headers
                .iter()
                .map(|h| parse_header(h))
                .collect::<Result<Vec<_>, _>>()?;
            let urls = if urls.is_empty() { read_urls()? } else { urls };
            // A bad URL is bad input: said at once, before anything is sent.
            for url in &urls {
                if let Err(headroom_ureq::Error::InvalidRequest(why)) =
                    headroom_ureq::check_url(url)
                {
                    return Err(why);
                }
            }
            let options = fetch::FetchOptions {
                headers,
                rates,
                concurrency: usize::from(concurrency),
                max_retries,
                max_wait_s: max_wait,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
                redis,
                identity,
            };
            fetch_all(&options, &urls, state.as_deref())
        }
        Command::Serve {
            port,
            policies,
            keys,
            headers,
            fault,
            window_start,
            tls,
        } => {
            let keys = if keys.is_empty() {
                serve::default_keys()
            } else {
                keys.iter()
                    .map(|k| parse_key(k))
                    .collect::<Result<_, _>>()?
            };
            let policies = if policies.is_empty() {
                serve::synthlink_policy()
            } else {
                policies
            };
            let tls = if tls {
                let dir =
                    std::env::temp_dir().join(format!("headroom-serve-{}", std::process::id()));
                let identity = serve::TlsIdentity::generate(Some(&dir))
                    .map_err(|e| format!("cannot make a TLS certificate: {e}"))?;
                if let Some(path) = &identity.cert_path {
                    eprintln!("headroom serve: certificate {}", path.display());
                }
                Some(identity)
            } else {
                None
            };
            let options = serve::ServeOptions {
                port,
                policies,
                keys,
                headers,
                fault,
                window_start,
                tls,
            };
            let server = serve::spawn(options.clone(), SystemClock::new())
                .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
            println!("{}", server.port());
            let _ = std::io::stdout().flush();
            let policy: Vec<String> = options
                .policies
                .iter()
                .map(|p| format!("{}:{}:{}", p.name, p.quota, p.window_s))
                .collect();
            let keys: Vec<String> = options
                .keys
                .iter()
                .map(|(k, i)| format!("{k} ({i})"))
                .collect();
            eprintln!(
                "headroom serve: {} policies {} keys {}",
                server.base_url(),
                policy.join(" "),
                keys.join(", ")
            );
            loop {
                std::thread::park();
            }
        }
        Command::Demo {
            requests,
            concurrency,
            clients,
            policies,
        } => {
            let mut options = demo::DemoOptions {
                requests: requests.max(1),
                concurrency: concurrency.max(1),
                clients: usize::from(clients),
                ..demo::DemoOptions::default()
            };
            if !policies.is_empty() {
                options.policies = policies;
            }
            let report = demo::run(&options, &mut std::io::stdout()).map_err(|e| e.to_string())?;
            Ok(if report.succeeded == report.requests {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn fetch_all(
    options: &fetch::FetchOptions,
    urls: &[String],
    state: Option<&std::path::Path>,
) -> Result<ExitCode, String> {
    let client = fetch::client(options, SystemClock::new()).map_err(|e| e.to_string())?;
    if let Some(path) = state {
        fetch::load_state(&client, path)?;
    }
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| fetch::progress_bar(&client, urls.len()));
    let started = std::time::Instant::now();
    let mut stdout = std::io::stdout().lock();
    let outcomes = fetch::run(&client, urls, options.concurrency, |_, outcome| {
        if let Ok(line) = serde_json::to_string(outcome) {
            let _ = writeln!(stdout, "{line}");
        }
        if let Some((bar, _)) = &bar {
            bar.inc(1);
        }
    });
    if let Some((bar, ticker)) = bar {
        bar.finish_and_clear();
        drop(ticker);
    }
    eprintln!("{}", fetch::summary(&client, started.elapsed()));
    if let Some(path) = state {
        fetch::store_state(&client, path)?;
    }
    Ok(if outcomes.iter().all(fetch::Outcome::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_urls() -> Result<Vec<String>, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("reading URLs from stdin: {e}"))?;
    let urls: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if urls.is_empty() {
        return Err("no URLs given (as arguments or one per line on stdin)".into());
    }
    Ok(urls)
}

fn parse_header(h: &str) -> Result<(String, String), String> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| format!("invalid header {h:?} (expected 'Name: value')"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("invalid header name in {h:?}"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn parse_key(k: &str) -> Result<(String, String), String> {
    match k.split_once(':') {
        Some((key, id)) if !key.is_empty() && !id.is_empty() => {
            Ok((key.to_string(), id.to_string()))
        }
        _ => Err(format!("invalid key {k:?} (expected KEY:IDENTITY)")),
    }
}
