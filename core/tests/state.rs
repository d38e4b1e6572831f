//! A limiter's saved state: round trips across a restart, and bad input refused whole.

use headroom_core::limiter::{Cause, Config, Limiter, StateError};
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Buckets, Log, Window};
use headroom_core::{Observation, Response};
use proptest::prelude::*;

type L = Limiter<(Window<Log<64>>, Window<Buckets<16>>)>;

fn learned() -> L {
    Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Config::DEFAULT,
    )
}

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn obs(status: u16, headers: &[(&str, &str)]) -> Observation {
    let pairs = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    Observation::of(&Response::new(status, pairs), &mut [0u8; 512])
}

const WALL: u64 = 1_800_000_000_000;
const POLICY: (&str, &str) = ("RateLimit-Policy", r#""m";q=5;w=60, "d";q=100;w=86400"#);

/// Five requests answered by a server that counts them: the minute window is spent.
fn spent_minute() -> L {
    let mut l = learned();
    let mut now = 1_000;
    for i in 0..5u64 {
        now = l.next_allowed(ms(now)).as_millis();
        let g = l.try_acquire(ms(now)).unwrap();
        let state = format!(r#""m";r={};t=50, "d";r={};t=40000"#, 4 - i, 99 - i);
        l.observe(ms(now + 50), g, &obs(200, &[POLICY, ("RateLimit", &state)]));
        now += 50;
    }
    assert!(now < 2_000, "{now}");
    l
}

fn save(l: &L, now: u64) -> Vec<u8> {
    let mut buf = vec![0u8; l.saved_len(ms(now))];
    let n = l.save(ms(now), WALL, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

#[test]
fn a_second_run_after_a_spent_window_waits_for_it_to_free() {
    let first = spent_minute();
    let until = first.peek(ms(2_000)).unwrap_err().until;
    let state = save(&first, 2_000);
    // A new process 10 s later by the wall clock, on a monotonic clock of its own.
    let mut second = learned();
    let t0 = 1_000_000;
    second.restore(ms(t0), WALL + 10_000, &state).unwrap();
    let d = second.try_acquire(ms(t0)).unwrap_err();
    assert_eq!(
        d.cause,
        Cause::ServerBudget,
        "the server's budget came along"
    );
    // The same instant as the first run's, 10 s nearer.
    assert_eq!(d.until.as_millis() - t0 + 10_000, until.as_millis() - 2_000);
    assert!(
        second
            .try_acquire(d.until - Duration::from_millis(1))
            .is_err()
    );
    assert!(second.try_acquire(d.until).is_ok(), "then the probe goes");
    // A clock that starts at its origin cannot place instants before it: they move later,
    // so the wait is longer, never shorter.
    let mut at_origin = learned();
    at_origin.restore(ms(0), WALL + 10_000, &state).unwrap();
    assert!(at_origin.peek(ms(0)).unwrap_err().until.as_millis() >= d.until.as_millis() - t0);
}

#[test]
fn grants_in_the_windows_survive_a_restart_and_free_no_earlier() {
    // Configured windows, no server: the log's own grants decide.
    let new = || -> Limiter<Window<Log<8>>> {
        Limiter::new(Window::exact(3, Duration::from_secs(60)), Config::DEFAULT)
    };
    let mut first = new();
    for t in [0, 5_000, 9_000] {
        let g = first.try_acquire(ms(t)).unwrap();
        first.release(g);
    }
    let frees = first.peek(ms(10_000)).unwrap_err().until;
    let mut buf = [0u8; 256];
    let n = first.save(ms(10_000), WALL, &mut buf).unwrap();
    let mut second = new();
    second.restore(ms(500_000), WALL, &buf[..n]).unwrap();
    let d = second.peek(ms(500_000)).unwrap_err();
    assert_eq!(d.until.as_millis() - 500_000, frees.as_millis() - 10_000);
}

#[test]
fn a_wall_clock_that_went_back_counts_as_no_time_passed() {
    let first = spent_minute();
    let state = save(&first, 2_000);
    let mut second = learned();
    second
        .restore(ms(100_000), WALL - 3_600_000, &state)
        .unwrap();
    let d = second.try_acquire(ms(100_000)).unwrap_err();
    let left = first.peek(ms(2_000)).unwrap_err().until.as_millis() - 2_000;
    assert_eq!(d.until.as_millis() - 100_000, left);
}

#[test]
fn bad_states_are_refused_and_change_nothing() {
    let state = save(&spent_minute(), 2_000);
    let mut l = learned();
    let g = l.try_acquire(ms(10)).unwrap();
    l.release(g);
    let before = l.clone();
    let mut check = |bytes: &[u8], want: StateError| {
        assert_eq!(l.restore(ms(20), WALL, bytes), Err(want), "{bytes:?}");
        assert_eq!(l, before, "unchanged after {want:?}");
    };
    check(&[], StateError::NotAState);
    check(b"not a state at all, really not", StateError::NotAState);
    let mut other_version = state.clone();
    other_version[3] = 1;
    check(&other_version, StateError::NotAState);
    for cut in 21..state.len() {
        check(&state[..cut], StateError::Truncated);
    }
    let mut longer = state.clone();
    longer.push(0);
    check(&longer, StateError::Truncated);
    // Saved by a limiter with one window.
    let one: Limiter<Window<Log<8>>> =
        Limiter::new(Window::exact(3, Duration::from_secs(60)), Config::DEFAULT);
    let mut buf = [0u8; 128];
    let n = one.save(ms(0), WALL, &mut buf).unwrap();
    check(&buf[..n], StateError::Mismatch);
    assert!(StateError::Mismatch.to_string().contains("other windows"));
}

#[test]
fn a_small_buffer_is_told_how_much_is_needed() {
    let l = spent_minute();
    let needed = l.saved_len(ms(2_000));
    let mut buf = vec![0u8; needed - 1];
    assert_eq!(
        l.save(ms(2_000), WALL, &mut buf),
        Err(StateError::BufferTooSmall { needed })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever happened before, the restored limiter never grants where the original would
    /// not, at any later time (restored at the same instant, on another clock).
    #[test]
    fn a_restored_limiter_is_never_more_permissive(
        ops in proptest::collection::vec((0u8..3, 0u64..20_000, 0u32..6), 1..40),
        shift in 0u64..1_000_000,
        probes in proptest::collection::vec(0u64..200_000, 1..8),
    ) {
        let mut l = learned();
        let mut now = 0;
        let mut held = Vec::new();
        for (op, dt, r) in ops {
            now += dt;
            match op {
                0 => if let Ok(g) = l.try_acquire(ms(now)) { held.push(g) },
                1 => if let Some(g) = held.pop() {
                    let state = format!(r#""m";r={r};t=50, "d";r={};t=40000"#, 90 + r);
                    l.observe(ms(now), g, &obs(200, &[POLICY, ("RateLimit", &state)]));
                },
                _ => if let Some(g) = held.pop() { l.release(g) },
            }
        }
        // Requests in flight die with the process: they stay counted, as released ones do.
        for g in held.drain(..) { l.release(g) }
        let state = save(&l, now);
        let mut restored = learned();
        restored.restore(ms(shift), WALL, &state).unwrap();
        for p in probes {
            if restored.peek(ms(shift + p)).is_ok() {
                prop_assert!(l.peek(ms(now + p)).is_ok(), "restored grants at +{p} ms");
            }
        }
    }

    /// Any bytes: an error or a limiter, never a panic.
    #[test]
    fn any_bytes_restore_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut l = learned();
        let _ = l.restore(ms(0), WALL, &bytes);
        let mut prefixed = b"HRs\x02".to_vec();
        prefixed.extend_from_slice(&bytes);
        let _ = l.restore(ms(0), WALL, &prefixed);
    }
}
