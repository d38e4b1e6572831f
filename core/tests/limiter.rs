//! The limiter and backoff, driven in injected time: unit cases and property tests.
// The shared bodies use some of these imports, and which depends on the features.
#![allow(unused_imports)]

use headroom_core::backoff::{Backoff, Jitter};

use headroom_core::limiter::{Cause, Config, Defaults, Denied, Grant, Limiter, Tuning};

use headroom_core::time::{Duration, Instant};

use headroom_core::window::{Buckets, Log, Window, Windows};

use headroom_core::{Observation, Response, UnixTime};

use proptest::prelude::*;

#[path = "shared/mod.rs"]
mod shared;
#[allow(unused_imports)]
use shared::limiter::*;

#[test]
fn synthlink_state_fits_in_512_bytes() {
    // With the tuning fixed at compile time, as headroom-embassy's `synthlink()` has it, no
    // `Config` is stored: this is the device's limiter.
    type Fixed = Limiter<(Window<Log<60>>, Window<Buckets<56>>), 2, Defaults>;
    let fixed = core::mem::size_of::<Fixed>();
    println!(
        "size_of SynthLink limiter (Log<60> + Buckets<56>, 2 budgets), Defaults tuning: {fixed} bytes"
    );
    assert!(fixed <= 512, "{fixed} bytes");
    let size = core::mem::size_of::<SynthLink>();
    println!("the same with a run-time Config: {size} bytes");
    assert!(
        fixed <= size - core::mem::size_of::<Config>(),
        "{fixed} bytes"
    );
}

#[test]
fn paces_sixty_per_minute_exactly() {
    shared::limiter::paces_sixty_per_minute_exactly()
}

#[test]
fn a_refusal_consumes_nothing_in_any_window() {
    shared::limiter::a_refusal_consumes_nothing_in_any_window()
}

#[test]
fn learns_windows_from_the_server_with_no_local_config() {
    shared::limiter::learns_windows_from_the_server_with_no_local_config()
}

#[test]
fn server_can_only_tighten_local_limits() {
    shared::limiter::server_can_only_tighten_local_limits()
}

#[test]
fn remaining_caps_grants_until_reset_and_counts_in_flight() {
    shared::limiter::remaining_caps_grants_until_reset_and_counts_in_flight()
}

#[test]
fn a_stale_response_does_not_reopen_a_budget() {
    shared::limiter::a_stale_response_does_not_reopen_a_budget()
}

#[test]
fn a_hostile_policy_cannot_block_past_max_pause() {
    shared::limiter::a_hostile_policy_cannot_block_past_max_pause()
}

#[test]
fn retry_after_pauses_every_caller_and_is_capped() {
    shared::limiter::retry_after_pauses_every_caller_and_is_capped()
}

#[cfg(feature = "json")]
#[test]
fn body_retry_after_pauses_too_and_200_retry_after_does_not() {
    shared::limiter::body_retry_after_pauses_too_and_200_retry_after_does_not()
}

#[test]
fn works_with_no_headers_and_a_backwards_clock() {
    shared::limiter::works_with_no_headers_and_a_backwards_clock()
}

#[test]
fn a_silence_past_32_bits_of_milliseconds() {
    shared::limiter::a_silence_past_32_bits_of_milliseconds()
}

#[test]
fn the_seeds_eighty_percent_margin() {
    shared::limiter::the_seeds_eighty_percent_margin()
}

/// Sends `driver`'s next attempt through a limiter with room and answers it with `o` (`None`:
/// no response), each attempt well after the last one's retry delay.

#[test]
fn backoff_defaults_and_server_precedence() {
    shared::limiter::backoff_defaults_and_server_precedence()
}

#[test]
fn which_responses_are_retried() {
    shared::limiter::which_responses_are_retried()
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u32),
    Acquire,
    Peek,
    Observe {
        status: u16,
        remaining: u8,
        reset: u16,
        quota: u8,
        window: u16,
        retry_after: Option<u32>,
    },
    Release,
}

impl Op {
    /// The response an `Observe` op describes: one policy `"a"` with its `RateLimit`, and a
    /// `Retry-After` when it has one; `None` for the other ops.
    fn response(&self) -> Option<Observation> {
        let Op::Observe {
            status,
            remaining,
            reset,
            quota,
            window,
            retry_after,
        } = *self
        else {
            return None;
        };
        let policy = format!("\"a\";q={quota};w={window}");
        let rl = format!("\"a\";r={remaining};t={reset}");
        let ra = retry_after.map(|r| r.to_string()).unwrap_or_default();
        let mut hs = vec![
            ("RateLimit-Policy", policy.as_str()),
            ("RateLimit", rl.as_str()),
        ];
        if retry_after.is_some() {
            hs.push(("Retry-After", ra.as_str()));
        }
        Some(obs(status, &hs))
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..20_000).prop_map(Op::Advance),
        6 => Just(Op::Acquire),
        1 => Just(Op::Peek),
        2 => (prop_oneof![Just(200u16), Just(429), Just(503)], any::<u8>(), any::<u16>(), any::<u8>(), 1u16..200, proptest::option::of(any::<u32>()))
            .prop_map(|(status, remaining, reset, quota, window, retry_after)| Op::Observe { status, remaining, reset, quota, window, retry_after }),
        1 => Just(Op::Release),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the server says and whenever calls come, no configured window ever holds more
    /// grants than its quota, and a refusal leaves the state untouched.
    #[test]
    fn never_over_quota_and_refusals_consume_nothing(ops in proptest::collection::vec(op(), 1..300)) {
        let (q_short, w_short, q_long, w_long) = (5u64, 2_000u64, 12u64, 30_000u64);
        let mut l: Limiter<(Window<Log<5>>, Window<Buckets<8>>)> = Limiter::new(
            (Window::exact(5, Duration::from_millis(w_short)), Window::bucketed(12, Duration::from_millis(w_long))),
            Config::DEFAULT,
        );
        let (mut now, mut grants, mut out) = (0u64, Vec::<u64>::new(), Vec::new());
        for op in ops {
            match op {
                Op::Advance(d) => now += u64::from(d),
                Op::Peek => { let _ = l.peek(ms(now)); }
                Op::Release => if let Some(g) = out.pop() { l.release(g) },
                Op::Acquire => {
                    let before = l.clone();
                    match l.try_acquire(ms(now)) {
                        Ok(g) => { grants.push(now); out.push(g); }
                        Err(d) => {
                            prop_assert_eq!(&l, &before);
                            prop_assert!(d.until > ms(now));
                        }
                    }
                }
                Op::Observe { .. } => {
                    if let (Some(g), Some(response)) = (out.pop(), op.response()) {
                        l.observe(ms(now), g, &response);
                        // Any pause is capped by max_pause.
                        prop_assert!(l.next_allowed(ms(now)) <= ms(now + 86_400_000 + 30_000 + 1_000));
                    }
                }
            }
        }
        for (quota, window) in [(q_short, w_short), (q_long, w_long)] {
            for (i, &start) in grants.iter().enumerate() {
                let in_window = grants[i..].iter().take_while(|&&t| t < start + window).count() as u64;
                prop_assert!(in_window <= quota, "{} grants within {} ms of {}", in_window, window, start);
            }
        }
    }

    /// Every delay lies within its bounds, for any attempt count and jitter.
    #[test]
    fn backoff_within_bounds(attempt in any::<u32>(), prev in any::<u64>(), seed in any::<u64>(),
                             base in 1u64..10_000, factor in 0u32..10, cap in 1u64..1_000_000, j in 0usize..4) {
        let jitter = [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated][j];
        let b = Backoff { base: Duration::from_millis(base), factor, cap: Duration::from_millis(cap), jitter };
        let d = b.delay(attempt, Duration::from_millis(prev), &mut SplitMix(seed));
        let ceiling = b.ceiling(attempt);
        prop_assert!(d <= b.cap && ceiling <= b.cap);
        match jitter {
            Jitter::None => prop_assert_eq!(d, ceiling),
            Jitter::Full => prop_assert!(d <= ceiling),
            Jitter::Equal => prop_assert!(d <= ceiling && d.as_millis() >= ceiling.as_millis() / 2),
            Jitter::Decorrelated => prop_assert!(d >= b.base.min(b.cap)),
        }
    }

    /// The header path never panics on arbitrary bytes, whatever the field.
    #[test]
    fn observation_never_panics(name in "(?i)(ratelimit|ratelimit-policy|retry-after|date|x-ratelimit-reset|ratelimit-limit|age)",
                                value in proptest::collection::vec(any::<u8>(), 0..80),
                                body in proptest::collection::vec(any::<u8>(), 0..40)) {
        let response = Response::new(429, [(name.as_str(), value.as_slice())])
            .body(&body)
            .received_at(UnixTime::from_secs(1_800_000_000));
        let o: Observation = Observation::of(&response, &mut [0u8; 64]);
        prop_assert!(o.wait(Duration::from_secs(1)) <= Duration::from_secs(u64::MAX / 1000));
    }
}

/// Full jitter draws spread over the whole range, ends included: the 10 delays of a 9 ms
/// ceiling about equally often, and both halves of a `Duration`'s widest range.
#[test]
fn jittered_delays_spread_over_their_range() {
    let mut rng = SplitMix(7);
    let full = |ms: u64| Backoff {
        base: Duration::from_millis(ms),
        factor: 1,
        cap: Duration::from_millis(ms),
        jitter: Jitter::Full,
    };
    let mut seen = [0u32; 10];
    for _ in 0..10_000 {
        let d = full(9).delay(0, Duration::ZERO, &mut rng).as_millis();
        seen[usize::try_from(d).unwrap()] += 1;
    }
    assert!(seen.iter().all(|&n| (850..1_150).contains(&n)), "{seen:?}");
    let widest = full(u64::from(u32::MAX));
    let high = (0..1_000)
        .filter(|_| widest.delay(0, Duration::ZERO, &mut rng).as_millis() > u64::from(u32::MAX / 2))
        .count();
    assert!((400..600).contains(&high), "{high}");
}

/// A `Duration` holds at most 49.7 days, so `max_wait = Duration::MAX` means "any wait a
/// `Duration` can say": a request that can never go is still not within it, while a wait
/// under it is.
#[test]
fn never_is_beyond_the_longest_max_wait() {
    let config = Config {
        max_wait: Duration::MAX,
        ..Config::DEFAULT
    };
    let mut l: Limiter<Window<Log<4>>> =
        Limiter::new(Window::exact(2, Duration::from_secs(60)), config);
    let now = Instant::from_millis(1_000);
    let never = l
        .peek_with(
            now,
            headroom_core::Key::IDENTITY,
            headroom_core::Cost::requests(3),
        )
        .unwrap_err();
    assert_eq!(never.until, Instant::MAX);
    assert!(!never.within_max_wait);
    for _ in 0..2 {
        // Released (no response): still counted in the window.
        let grant = l.try_acquire(now).unwrap();
        l.release(grant);
    }
    let full = l.try_acquire(now).unwrap_err();
    assert!(full.until > now && full.until < Instant::MAX);
    assert!(full.within_max_wait);
}

/// A tuning fixed at compile time, other than the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tight;

const TIGHT: Config = Config {
    quota_permille: 800,
    guard: Duration::from_millis(40),
    reset_guard: Duration::from_millis(300),
    max_wait: Duration::from_secs(5),
    max_pause: Duration::from_secs(60),
    bare_429_pause: Duration::from_secs(2),
};

impl Tuning for Tight {
    fn config(&self) -> Config {
        TIGHT
    }
}

type Small<C> = Limiter<(Window<Log<5>>, Window<Buckets<8>>), 2, C>;

fn small<C: Tuning>(tuning: C) -> Small<C> {
    Limiter::new(
        (
            Window::learned(),
            Window::bucketed(12, Duration::from_secs(30)),
        ),
        tuning,
    )
}

/// Applies `op` at `*now`; what an acquire decided, and when the next request may go.
fn apply<C: Tuning>(
    l: &mut Small<C>,
    op: &Op,
    now: &mut u64,
    out: &mut Vec<Grant>,
) -> (Option<Result<(), Denied>>, Instant) {
    let mut decided = None;
    match *op {
        Op::Advance(d) => *now += u64::from(d),
        Op::Peek => decided = Some(l.peek(ms(*now))),
        Op::Release => {
            if let Some(g) = out.pop() {
                l.release(g)
            }
        }
        Op::Acquire => decided = Some(l.try_acquire(ms(*now)).map(|g| out.push(g))),
        Op::Observe { .. } => {
            if let (Some(g), Some(response)) = (out.pop(), op.response()) {
                l.observe(ms(*now), g, &response);
            }
        }
    }
    (decided, l.next_allowed(ms(*now)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A compile-time tuning decides exactly as its `Config` does at run time, whatever the
    /// server says and whenever calls come: `Defaults` as `Config::DEFAULT`, `Tight` as `TIGHT`.
    #[test]
    fn a_compile_time_tuning_decides_as_its_config(ops in proptest::collection::vec(op(), 1..200)) {
        let (mut fixed, mut chosen) = (small(Defaults), small(Config::DEFAULT));
        let (mut tight, mut tight_chosen) = (small(Tight), small(TIGHT));
        let mut now = [0u64; 4];
        let mut out: [Vec<Grant>; 4] = Default::default();
        for op in &ops {
            let [n0, n1, n2, n3] = &mut now;
            let [o0, o1, o2, o3] = &mut out;
            prop_assert_eq!(apply(&mut fixed, op, n0, o0), apply(&mut chosen, op, n1, o1));
            prop_assert_eq!(apply(&mut tight, op, n2, o2), apply(&mut tight_chosen, op, n3, o3));
        }
        prop_assert_eq!(fixed.config(), Config::DEFAULT);
        prop_assert_eq!(tight.config(), TIGHT);
    }
}

#[test]
fn a_server_policy_tightens_the_window_of_the_same_length() {
    shared::limiter::a_server_policy_tightens_the_window_of_the_same_length()
}

#[test]
fn after_a_reset_one_probe_goes_then_the_budget_rules() {
    shared::limiter::after_a_reset_one_probe_goes_then_the_budget_rules()
}

#[test]
fn reset_guard_is_capped_by_short_windows() {
    shared::limiter::reset_guard_is_capped_by_short_windows()
}

#[test]
fn the_margin_holds_under_server_sync() {
    shared::limiter::the_margin_holds_under_server_sync()
}

#[test]
fn a_learned_policy_takes_a_ring_that_can_count_it() {
    shared::limiter::a_learned_policy_takes_a_ring_that_can_count_it()
}

#[test]
fn a_response_that_overtook_an_earlier_request_does_not_overshoot() {
    shared::limiter::a_response_that_overtook_an_earlier_request_does_not_overshoot()
}

#[test]
fn only_one_request_goes_until_the_first_response() {
    shared::limiter::only_one_request_goes_until_the_first_response()
}

#[test]
fn other_clients_of_the_identity_are_measured_and_left_what_they_will_spend() {
    let mut l: Limiter<(Window<Log<64>>, Window<Log<64>>)> = Limiter::new(
        (Window::learned_exact(), Window::learned_exact()),
        Config::DEFAULT,
    );
    let policy = ("RateLimit-Policy", r#""m";q=60;w=60"#);
    let state = |r: u32| format!(r#""m";r={r};t=60"#);
    exchange(&mut l, 0, 10, 200, &[policy, ("RateLimit", &state(59))]);
    assert_eq!(l.shared_reserve(ms(10)), 0, "nothing spent but ours");
    exchange(&mut l, 20, 30, 200, &[policy, ("RateLimit", &state(56))]);
    // Our one request explains 59 → 58: others spent 2 per response of ours. A request
    // granted now has one response of ours before it (its own): 2 of theirs land first, and
    // one more unit is left to them.
    assert_eq!(l.shared_reserve(ms(30)), 3);
    // Paced: our part of what remains (56, as our 1 response is to their 2: 18) over one
    // second: a grant every 55 ms.
    let d = l.try_acquire(ms(30)).unwrap_err();
    assert_eq!(
        (d.cause, d.until),
        (Cause::ServerBudget, ms(20 + 1000 / 18))
    );
    // One of ours in flight may be counted already, so it may explain a unit of theirs; and
    // it comes before a request granted now (twice as many responses ahead).
    let g = l.try_acquire(d.until).unwrap();
    assert_eq!(l.shared_reserve(d.until), 3);
    // Released, it may still have been counted: it is not taken for another client's.
    l.release(g);
    assert!(l.shared_reserve(d.until) <= 3);
    // Their spending goes on: 4 remain, and they are expected to take them all.
    exchange(&mut l, 300, 310, 200, &[policy, ("RateLimit", &state(4))]);
    assert!(l.shared_reserve(ms(310)) >= 4);
    let d = l.try_acquire(ms(310)).unwrap_err();
    assert_eq!(d.cause, Cause::ServerBudget);
    assert_eq!(d.until, ms(10 + 60_000 + 937), "until the server's reset");
    // The next window starts with their measurement at half its weight (the same rate).
    let t = d.until.as_millis();
    let before = l.shared_reserve(ms(310));
    exchange(&mut l, t, t + 10, 200, &[policy, ("RateLimit", &state(59))]);
    let carried = l.shared_reserve(ms(t + 10));
    assert!(carried > 1 && carried >= before / 2, "{before} → {carried}");
    // A window in which only our requests count: what they spent weighs less and less, and
    // the pace quickens.
    let mut now = t + 10;
    let mut gaps = Vec::new();
    for r in (20..59).rev() {
        let at = l.next_allowed(ms(now)).as_millis();
        gaps.push(at - now);
        exchange(
            &mut l,
            at,
            at + 10,
            200,
            &[policy, ("RateLimit", &state(r))],
        );
        now = at + 10;
    }
    assert_eq!(l.shared_reserve(ms(now)), 1, "they have stopped");
    assert!(
        gaps[0] > 100 && gaps[gaps.len() - 1] < gaps[0] / 4,
        "{gaps:?}"
    );
}

#[test]
fn the_margin_left_to_other_clients_is_one_unit_while_they_are_few() {
    let policy = ("RateLimit-Policy", r#""m";q=60;w=60"#);
    let reserve_after_fall = |spent_by_others: u32| {
        let mut l: Limiter<Window<Log<64>>> =
            Limiter::new(Window::learned_exact(), Config::DEFAULT);
        let state = |r: u32| format!(r#""m";r={r};t=60"#);
        exchange(&mut l, 0, 10, 200, &[policy, ("RateLimit", &state(59))]);
        let r = 58 - spent_by_others;
        exchange(&mut l, 20, 30, 200, &[policy, ("RateLimit", &state(r))]);
        l.shared_reserve(ms(30))
    };
    // What they spend per response of ours, plus a unit while that is under 6 (rounded
    // down, it may be short by most of a unit)...
    assert_eq!(reserve_after_fall(1), 2);
    assert_eq!(reserve_after_fall(5), 6);
    // ...and no more once it is larger: every client holding a unit more would leave a unit
    // per client unspent in every window.
    assert_eq!(reserve_after_fall(6), 6);
    assert_eq!(reserve_after_fall(14), 14);
}

#[test]
fn threads_of_one_limiter_are_never_taken_for_other_clients() {
    // Four requests in flight at once, answered in another order than they were counted:
    // each response's `r` misses up to three of ours, and none is another client's.
    let mut l: Limiter<Window<Log<64>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let policy = ("RateLimit-Policy", r#""s";q=20;w=5"#);
    exchange(
        &mut l,
        0,
        10,
        200,
        &[policy, ("RateLimit", r#""s";r=19;t=5"#)],
    );
    // (In its first window a client paces the first half, as if another had just started.)
    let mut now = 20;
    let grants: Vec<_> = (0..4)
        .map(|_| {
            now = l.next_allowed(ms(now)).as_millis();
            l.try_acquire(ms(now)).unwrap()
        })
        .collect();
    now += 10;
    for (g, r) in grants.into_iter().zip([16, 18, 15, 17]) {
        let state = format!(r#""s";r={r};t=5"#);
        l.observe(ms(now), g, &obs(200, &[policy, ("RateLimit", &state)]));
        assert_eq!(l.shared_reserve(ms(now)), 0, "after r={r}");
    }
    // All four are counted now: the 15 that remain may all be spent in this window.
    for _ in 0..15 {
        now = l.next_allowed(ms(now)).as_millis();
        assert!(now < 5_000, "at {now} ms");
        let g = l.try_acquire(ms(now)).expect("room");
        l.release(g);
    }
    assert!(l.next_allowed(ms(now)) >= ms(10 + 5_000));
}

#[test]
fn no_response_is_retried_for_idempotent_methods_only() {
    shared::limiter::no_response_is_retried_for_idempotent_methods_only()
}

#[cfg(feature = "openai")]
#[test]
fn an_openai_429_waits_for_its_reset() {
    shared::limiter::an_openai_429_waits_for_its_reset()
}

#[cfg(feature = "anthropic")]
#[test]
fn an_anthropic_spent_policy_waits_for_its_reset() {
    shared::limiter::an_anthropic_spent_policy_waits_for_its_reset()
}

#[cfg(feature = "shopify")]
#[test]
fn a_full_shopify_bucket_holds_callers_a_second() {
    shared::limiter::a_full_shopify_bucket_holds_callers_a_second()
}
