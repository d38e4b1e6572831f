//! The simulation's own sanity: the ideal is reachable by nobody faster, synced headroom gets
//! no 429 and stays near it, and the naive client pays for its 20 % margin.

use headroom_benches::sim::{self, Scenario, Strategy};

#[test]
fn synced_headroom_is_near_ideal_without_429s_alone_and_in_pairs() {
    for clients in [1, 2] {
        let o = sim::run(&Scenario::new(sim::synthlink(), clients, 500));
        assert_eq!(o.throttled, 0, "{clients} clients");
        assert!((1.0..=1.02).contains(&o.ratio), "{clients} clients: {o:?}");
    }
}

#[test]
fn the_naive_margin_and_retry_only_cost_what_they_should() {
    let with = |strategy| {
        sim::run(&Scenario {
            strategy,
            ..Scenario::new(sim::synthlink(), 1, 500)
        })
    };
    let naive = with(Strategy::NaiveSliding80);
    assert_eq!(naive.throttled, 0);
    assert!(naive.ratio > 1.2, "{naive:?}");
    let retry = with(Strategy::RetryOnly);
    assert!(
        retry.throttled > 0 && retry.sent == 500 + retry.throttled,
        "{retry:?}"
    );
}

#[test]
fn a_stopped_peer_leaves_its_share_unsent() {
    let o = sim::run(&Scenario {
        peer_stops: true,
        ..Scenario::new(sim::scaled(), 4, 240)
    });
    assert_eq!(o.accepted, 240 - 30, "{o:?}");
}

#[test]
fn eight_clients_of_one_identity_share_its_windows_without_429s() {
    for (policies, n, rtt) in [(sim::synthlink(), 500, 120), (sim::scaled(), 240, 20)] {
        for together in [false, true] {
            let o = sim::run(&Scenario {
                rtt_ms: rtt,
                together,
                ..Scenario::new(policies.clone(), 8, n)
            });
            assert!(o.throttled * 100 <= o.sent, "{o:?}");
            assert!(o.ratio <= 1.05, "{o:?}");
        }
    }
}

#[test]
fn threads_of_one_client_leave_nothing_for_their_own_requests() {
    // One limiter, four threads, windows that bind every few seconds: each window is spent
    // whole (before, a thread's requests in flight were held back for "another client").
    let o = sim::run(&Scenario {
        threads: 4,
        rtt_ms: 2,
        ..Scenario::new(sim::policies(&[(20, 5), (100, 30)]), 1, 240)
    });
    assert_eq!(o.throttled, 0, "{o:?}");
    assert!(o.ratio <= 1.02, "{o:?}");
}

/// The device path ([`headroom_core::device`]) against the generic limiter, synced from the
/// same headers: the same 429s and the same completion in each scenario, alone, in fleets,
/// with threads, together, staggered and with a peer that stops.
#[test]
fn the_device_path_behaves_as_the_generic_limiter() {
    let sets = [
        (sim::synthlink(), 500, 120),
        (sim::scaled(), 240, 20),
        (sim::scaled(), 240, 2),
    ];
    let shapes = [
        (1, 1, false, false),
        (2, 1, false, false),
        (8, 1, false, false),
        (16, 1, true, false),
        (1, 4, false, false),
        (4, 4, false, false),
        (8, 1, false, true),
    ];
    let mut compared = 0;
    for (policies, n, rtt) in sets {
        for (clients, threads, together, peer_stops) in shapes {
            for seed in 1..=3 {
                let generic = Scenario {
                    threads,
                    rtt_ms: rtt,
                    together,
                    peer_stops,
                    seed,
                    ..Scenario::new(policies.clone(), clients, n)
                };
                let device = Scenario {
                    strategy: Strategy::DeviceSynced,
                    ..generic.clone()
                };
                let (g, d) = (sim::run(&generic), sim::run(&device));
                let at =
                    format!("{clients} clients × {threads} threads, rtt {rtt} ms, seed {seed}");
                assert_eq!(d.accepted, g.accepted, "{at}: {d:?} vs {g:?}");
                assert_eq!(d.throttled, g.throttled, "{at}: {d:?} vs {g:?}");
                assert!((d.ratio - g.ratio).abs() < 0.005, "{at}: {d:?} vs {g:?}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 63);
}
