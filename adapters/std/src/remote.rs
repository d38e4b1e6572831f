//! A [`SharedLimiter`] whose identity state lives in Redis (feature `redis`): the store
//! decides every grant; this side only sleeps, and runs the core's retry driver.

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::shared::{Inner, Poll, Rate, SharedLimiter, Ticket, std_windows};
use headroom_core::{Cause, Config, Cost, Denied, Duration, Instant, Key, Limiter, Observation};
use headroom_redis::{Acquired, RedisLimiter, RemoteGrant};
use std::sync::Arc;

/// How often an unreachable store is asked again while a caller waits for it.
const STORE_RETRY: Duration = Duration::from_millis(250);

impl SharedLimiter<SystemClock> {
    /// A limiter for `identity` whose state lives in the Redis at `url`: every process (on any
    /// host) built with the same `identity` and `rates` shares one quota, exactly. Otherwise
    /// used like [`SharedLimiter::new`]. Fails closed: while Redis does not answer, callers
    /// wait up to `max_wait` for it, then get [`Error::Store`]; nothing is sent unthrottled.
    pub fn with_redis(url: &str, identity: &str, rates: &[Rate]) -> Result<Self, Error> {
        Self::with_redis_and_clock(url, identity, rates, Config::DEFAULT, SystemClock::new())
    }
}

impl<C: Clock> SharedLimiter<C> {
    /// [`SharedLimiter::with_redis`] with `config` and `clock` (the clock times the waits;
    /// the store keeps its own time).
    pub fn with_redis_and_clock(
        url: &str,
        identity: &str,
        rates: &[Rate],
        config: Config,
        clock: C,
    ) -> Result<Self, Error> {
        let windows: Vec<(u32, Duration)> = rates.iter().map(|r| (r.quota, r.per)).collect();
        let store = RedisLimiter::connect(url, identity, &windows, config).map_err(Error::Store)?;
        // Only the local limiter's configuration is used: the state is in Redis.
        let mut inner = Inner::new(Limiter::new(std_windows(rates)?, config), clock);
        inner.remote = Some(store);
        Ok(SharedLimiter {
            inner: Arc::new(inner),
        })
    }

    fn remote_ticket(&self, grant: RemoteGrant) -> Ticket<C> {
        Ticket {
            inner: Arc::clone(&self.inner),
            grant: None,
            remote: Some(grant),
        }
    }

    pub(crate) fn try_remote(
        &self,
        store: &RedisLimiter,
        key: Key,
        cost: Cost,
    ) -> Result<Ticket<C>, Denied> {
        let now = self.inner.clock.now();
        let max_wait = self.config().max_wait;
        let (wait, cause) = match store.try_acquire_with(key, cost) {
            Ok(Acquired::Granted(g)) => return Ok(self.remote_ticket(g)),
            Ok(Acquired::Wait { wait, cause }) => (wait, cause),
            Err(e) => {
                log::warn!("headroom: {e}");
                (STORE_RETRY, Cause::StoreUnavailable)
            }
        };
        // `Duration::MAX` is the store's "never", which a sum with `now` would not keep.
        let until = if wait == Duration::MAX {
            Instant::MAX
        } else {
            now + wait
        };
        Err(Denied {
            until,
            cause,
            within_max_wait: wait <= max_wait,
        })
    }

    /// One ask of the store. While it does not answer, callers are told to ask again soon;
    /// once that has gone on for `max_wait`, [`Error::Store`].
    pub(crate) fn poll_remote(
        &self,
        store: &RedisLimiter,
        key: Key,
        cost: Cost,
    ) -> Result<Poll<C>, Error> {
        let asked = self.inner.clock.now();
        let reply = store.try_acquire_with(key, cost);
        self.remote_poll(asked, reply)
    }

    /// [`SharedLimiter::poll_remote`] awaited, on tokio.
    pub(crate) async fn poll_remote_async(
        &self,
        store: &RedisLimiter,
        key: Key,
        cost: Cost,
    ) -> Result<Poll<C>, Error> {
        let asked = self.inner.clock.now();
        let reply = store.try_acquire_with_async(key, cost).await;
        self.remote_poll(asked, reply)
    }

    /// What the store's reply to an ask made at `asked` means for the caller.
    fn remote_poll(
        &self,
        asked: headroom_core::time::Instant,
        reply: Result<Acquired, headroom_redis::Error>,
    ) -> Result<Poll<C>, Error> {
        let max_wait = self.config().max_wait;
        if reply.is_ok() {
            *self
                .inner
                .store_down_since
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
        }
        match reply {
            Ok(Acquired::Granted(g)) => Ok(Poll::Send(self.remote_ticket(g))),
            Ok(Acquired::Wait { wait, cause }) if wait > max_wait => {
                Err(Error::WouldWait { wait, cause })
            }
            Ok(Acquired::Wait { wait, cause }) => Ok(Poll::Wait {
                wait,
                cause: Some(cause),
            }),
            Err(e) if e.is_unavailable() => {
                // The call itself may have taken its whole timeout: ask again only while
                // another try fits in max_wait.
                let now = self.inner.clock.now();
                let since = {
                    let mut down = self
                        .inner
                        .store_down_since
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    *down.get_or_insert(asked)
                };
                if now.saturating_duration_since(since) + STORE_RETRY >= max_wait {
                    return Err(Error::Store(e));
                }
                log::warn!("headroom: {e}; asking again");
                Ok(Poll::Wait {
                    wait: STORE_RETRY,
                    cause: Some(Cause::StoreUnavailable),
                })
            }
            Err(e) => Err(Error::Store(e)),
        }
    }

    /// Hands `ticket`'s grant back to the store, awaited: with the response `obs`, or as lost.
    pub(crate) async fn hand_back_remote<const P: usize>(
        &self,
        store: &RedisLimiter,
        mut ticket: Ticket<C>,
        obs: Option<&Observation<P>>,
    ) {
        if let Some(grant) = ticket.remote.take() {
            let done = match obs {
                Some(obs) => store.observe_async(grant, obs).await,
                None => store.release_async(grant).await,
            };
            if let Err(e) = done {
                log::warn!("headroom: {e}");
            }
        }
        self.inner.wake();
    }

    pub(crate) fn observe_remote<const P: usize>(
        &self,
        store: &RedisLimiter,
        mut ticket: Ticket<C>,
        obs: &Observation<P>,
    ) {
        if let Some(grant) = ticket.remote.take() {
            // A response the store did not take is lost to the others; its grant stops
            // counting as in flight after the store's in-flight lifetime.
            if let Err(e) = store.observe(grant, obs) {
                log::warn!("headroom: {e}");
            }
        }
        self.inner.wake();
    }
}
