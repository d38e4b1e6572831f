//! The device client over HTTPS (feature `tls`: embedded-tls through reqwless) against
//! `headroom serve --tls` on loopback: pacing, Retry-After and retries, and a certificate
//! from another CA refused. Counts, never timings.

use embassy_futures::block_on;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_nal_async::{AddrType, Dns};
use headroom_cli::serve::{self, ServeOptions, TlsIdentity};
use headroom_embassy::http::{Client, HttpError};
use headroom_embassy::tls::Tls;
use headroom_embassy::{Error, MinuteAndDay, SharedLimiter, synthlink};
use headroom_ureq::SystemClock;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std_embedded_nal_async::Stack;

/// `localhost` as the server's certificate names it, resolved to the address it listens on
/// (the host's resolver may answer `::1` first).
struct Loopback(Stack);

impl Dns for Loopback {
    type Error = std::io::Error;
    async fn get_host_by_name(&self, host: &str, t: AddrType) -> Result<IpAddr, Self::Error> {
        match host {
            "localhost" => Ok(IpAddr::from([127, 0, 0, 1])),
            other => self.0.get_host_by_name(other, t).await,
        }
    }
    async fn get_host_by_address(&self, a: IpAddr, r: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.get_host_by_address(a, r).await
    }
}

fn tls_server(policies: &[&str]) -> (serve::Server, TlsIdentity) {
    let identity = TlsIdentity::generate(None).unwrap();
    let options = ServeOptions {
        policies: policies.iter().map(|p| p.parse().unwrap()).collect(),
        tls: Some(identity.clone()),
        ..ServeOptions::default()
    };
    (serve::spawn(options, SystemClock::new()).unwrap(), identity)
}

const KEY_A: &[(&str, &str)] = &[("Authorization", "Bearer key-a")];
const KEY_B: &[(&str, &str)] = &[("Authorization", "Bearer key-b")];

/// `n` GETs of `url` with `key`, through a fresh limiter, over TLS trusting `ca`: the
/// statuses and attempts.
fn fetch(
    url: &str,
    ca: &[u8],
    key: &'static [(&'static str, &'static str)],
    n: usize,
) -> Vec<Result<(u16, u32), Error<HttpError>>> {
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let (stack, dns) = (Stack::default(), Loopback(Stack::default()));
    let mut rng = StdRng::seed_from_u64(7);
    let (mut read, mut write) = (vec![0u8; 16_640], vec![0u8; 4096]);
    let tls = Tls::new(ca, &mut read, &mut write, &mut rng);
    let mut client = Client::new(&stack, &dns, &limiter, key).with_tls(tls);
    (0..n)
        .map(|i| {
            let mut rx = [0u8; 2048];
            let url = format!("{url}/v1/records?i={i}");
            block_on(client.get(&url, &mut rx, &mut rng)).map(|r| (r.status, r.attempts))
        })
        .collect()
}

#[test]
fn paced_over_tls_within_the_servers_windows() {
    let (server, identity) = tls_server(&["minute:3:2", "day:8:20"]);
    let results = fetch(&server.base_url(), &identity.cert_der, KEY_A, 7);
    assert!(
        results.iter().all(|r| matches!(r, Ok((200, 1)))),
        "{results:?}"
    );
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 7);
}

#[test]
fn retry_after_is_honoured_over_tls() {
    let (server, identity) = tls_server(&["minute:2:2"]);
    let spent = fetch(&server.base_url(), &identity.cert_der, KEY_B, 2);
    assert!(spent.iter().all(|r| matches!(r, Ok((200, _)))), "{spent:?}");
    let ours = fetch(&server.base_url(), &identity.cert_der, KEY_A, 1);
    let throttled = server.stats.throttled.load(Ordering::Relaxed);
    // Unless the window turned between the two devices, the first attempt met a 429.
    assert_eq!(ours, vec![Ok((200, 1 + throttled as u32))]);
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let (server, _) = tls_server(&["minute:10:60"]);
    let stranger = TlsIdentity::generate(None).unwrap();
    let results = fetch(&server.base_url(), &stranger.cert_der, KEY_A, 1);
    match &results[..] {
        [Err(Error::Transport(HttpError::Tls(e)))] => {
            let shown = Error::<HttpError>::Transport(HttpError::Tls(*e)).to_string();
            assert!(shown.contains("TLS failed"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.stats.ok.load(Ordering::Relaxed),
        0,
        "nothing was answered"
    );
}

#[test]
fn https_without_tls_configured_is_a_clear_error() {
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A);
    let mut rng = StdRng::seed_from_u64(1);
    let mut rx = [0u8; 256];
    let r = block_on(client.get("https://localhost:1/", &mut rx, &mut rng));
    assert_eq!(
        r.map(|r| r.status),
        Err(Error::Transport(HttpError::TlsNotConfigured))
    );
}
