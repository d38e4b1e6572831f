//! `headroom serve` on loopback for the tests: its policies, a frozen clock, another key.

use headroom_cli::serve::{self, Fault, PolicySpec, ServeOptions};
use headroom_ureq::{ManualClock, SystemClock};

pub fn server(policies: &[&str], fault: Fault) -> serve::Server {
    serve::spawn(options(policies, fault), SystemClock::new()).unwrap()
}

/// A server whose clock stands still one second into an hour (Sat, 21 Nov 2026 12:00:01 GMT),
/// so none of its windows turns during a test however long it takes or whenever it runs.
pub fn frozen_server(policies: &[&str]) -> serve::Server {
    let clock = ManualClock::new(1_795_262_401_000);
    serve::spawn(options(policies, Fault::None), clock).unwrap()
}

fn options(policies: &[&str], fault: Fault) -> ServeOptions {
    let policies: Vec<PolicySpec> = policies.iter().map(|p| p.parse().unwrap()).collect();
    ServeOptions {
        policies,
        fault,
        ..ServeOptions::default()
    }
}

/// Another device of the same identity spends `n` requests of the window first.
pub fn spend_with_key_b(server: &serve::Server, n: usize) {
    let other = headroom_ureq::Client::builder(headroom_ureq::SharedLimiter::new(&[]).unwrap())
        .header("Authorization", "Bearer key-b")
        .build();
    for _ in 0..n {
        assert_eq!(other.get(&server.base_url()).unwrap().status(), 200);
    }
}
