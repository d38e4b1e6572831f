//! The simulation's own sanity: the ideal is reachable by nobody faster, synced headroom gets
//! no 429 and stays near it, and the naive client pays for its 20 % margin.

use headroom_benches::sim::{self, Strategy};

const START: u64 = 11_843_400;

#[test]
fn synced_headroom_is_near_ideal_without_429s_alone_and_in_pairs() {
    for clients in [1, 2] {
        let o = sim::run(Strategy::HeadroomSynced, clients, 500, START, 120);
        assert_eq!(o.throttled, 0, "{clients} clients");
        assert!((1.0..=1.02).contains(&o.ratio), "{clients} clients: {o:?}");
    }
}

#[test]
fn the_naive_margin_and_retry_only_cost_what_they_should() {
    let naive = sim::run(Strategy::NaiveSliding80, 1, 500, START, 120);
    assert_eq!(naive.throttled, 0);
    assert!(naive.ratio > 1.2, "{naive:?}");
    let retry = sim::run(Strategy::RetryOnly, 1, 500, START, 120);
    assert!(
        retry.throttled > 0 && retry.sent == 500 + retry.throttled,
        "{retry:?}"
    );
}

#[test]
fn the_ideal_counts_both_windows() {
    // 61 requests from a minute boundary: 60 at once, the 61st when the next minute starts.
    assert_eq!(sim::ideal_finish(60_000, 61), 120_000);
    // 1,001 from midnight: the last waits for the next day.
    assert_eq!(sim::ideal_finish(0, 1001), 86_400_000);
}
