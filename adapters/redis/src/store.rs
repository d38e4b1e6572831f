//! The store: the script's arguments built from the core's types, one round trip per step.

use crate::error::{Error, redact};
use headroom_core::effect::{Effect, effects};
use headroom_core::{Cause, Config, Cost, Duration, Key, Observation};
use redis::{Client, Connection, Script, Value};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The script every step runs (`KEYS`, `ARGV` and replies are described at its top).
pub const SCRIPT: &str = include_str!("store.lua");

/// Windows longer than this are bucketed: an exact log of a day's quota would hold a member
/// per grant for a day.
const EXACT_UP_TO: Duration = Duration::from_secs(3600);
/// Buckets of a long window: a grant is released up to 1/63 of the window late.
const BUCKETS: u16 = 64;

/// A request granted by the store. Hand it back with [`RedisLimiter::observe`] or
/// [`RedisLimiter::release`]; one never handed back stops counting as in flight after the
/// in-flight lifetime.
#[must_use = "hand the grant back with observe() or release()"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteGrant {
    member: String,
    key: Key,
    cost: Cost,
}

impl RemoteGrant {
    /// The key it was granted for.
    pub fn key(&self) -> Key {
        self.key
    }

    /// What it was granted for.
    pub fn cost(&self) -> Cost {
        self.cost
    }
}

/// What an acquire got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acquired {
    /// A request may go now.
    Granted(RemoteGrant),
    /// Nothing was granted: come back after `wait` (on any clock: it is a duration).
    Wait {
        /// How long ([`Duration::MAX`]: never, e.g. a cost over a window's quota).
        wait: Duration,
        /// What holds it back.
        cause: Cause,
    },
}

/// One configured window, as the script takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WindowArg {
    length_ms: u64,
    quota: u32,
    /// 0: an exact log.
    buckets: u16,
}

/// A limiter whose state lives in Redis, shared by every process of one identity.
/// `Send + Sync`: threads share one, each step takes its connection for one round trip.
pub struct RedisLimiter {
    pub(crate) client: Client,
    connection: Mutex<Option<Connection>>,
    script: Script,
    keys: Vec<String>,
    windows: Vec<WindowArg>,
    config: Config,
    pub(crate) timeout: Duration,
    in_flight_lifetime: Duration,
    pub(crate) secret: Option<String>,
    /// The tokio connection, made on the first async step.
    #[cfg(feature = "tokio")]
    pub(crate) manager: std::sync::OnceLock<redis::aio::ConnectionManager>,
    /// Tests pass their own clock; otherwise the script reads Redis's `TIME`.
    clock: Option<Box<dyn Fn() -> u64 + Send + Sync>>,
    /// This process's grants in flight, and the state's epoch last seen: when Redis answers
    /// with another epoch it lost its state, and these are added to the new one.
    outstanding: Mutex<(BTreeSet<String>, Option<i64>)>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("keys", &self.keys.first())
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// A limiter for `identity` on the Redis at `url` (`redis://[user:password@]host[:port][/db]`,
    /// `rediss://` for TLS), with `windows` of `(quota, length)` configured locally (may be
    /// empty: then the server's headers alone decide) and `config`'s guards and caps. Every
    /// process of the identity must configure the same windows. Connects lazily: the first
    /// step finds out whether Redis is reachable.
    pub fn connect(
        url: &str,
        identity: &str,
        windows: &[(u32, Duration)],
        config: Config,
    ) -> Result<Self, Error> {
        let client = Client::open(url).map_err(|e| Error::BadUrl {
            detail: redact(&e.to_string(), password_of(url).as_deref()),
        })?;
        let secret = client
            .get_connection_info()
            .redis_settings()
            .password()
            .map(str::to_string);
        // The identity is the hash tag: one identity's keys share a Cluster slot.
        let tag = format!("headroom:{{{}}}", identity.replace(['{', '}'], "_"));
        let mut keys = vec![
            format!("{tag}:state"),
            format!("{tag}:inflight"),
            format!("{tag}:learned"),
        ];
        let windows: Vec<WindowArg> = windows
            .iter()
            .map(|&(quota, length)| WindowArg {
                length_ms: length.as_millis().max(1),
                quota,
                buckets: if length <= EXACT_UP_TO { 0 } else { BUCKETS },
            })
            .collect();
        for w in &windows {
            keys.push(format!("{tag}:w:{}:{}:{}", w.length_ms, w.quota, w.buckets));
        }
        Ok(RedisLimiter {
            client,
            connection: Mutex::new(None),
            script: Script::new(SCRIPT),
            keys,
            windows,
            config,
            timeout: Duration::from_secs(2),
            in_flight_lifetime: Duration::from_secs(120),
            secret,
            clock: None,
            outstanding: Mutex::new((BTreeSet::new(), None)),
            #[cfg(feature = "tokio")]
            manager: std::sync::OnceLock::new(),
        })
    }

    /// The longest any one Redis call may take (connect, send, reply): a frozen Redis is an
    /// [`Error::Unavailable`] after this. Default 2 s.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a grant counts as in flight if it is never handed back (its process
    /// crashed). Default 120 s: longer than any request's timeout.
    #[must_use]
    pub fn in_flight_lifetime(mut self, lifetime: Duration) -> Self {
        self.in_flight_lifetime = lifetime;
        self
    }

    /// Reads time from `clock` (Unix ms) instead of Redis's `TIME`: for tests in injected
    /// time.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Box::new(clock));
        self
    }

    /// The configuration (its guards and caps apply to the shared state).
    pub fn config(&self) -> Config {
        self.config
    }

    /// Grants a request for the identity now, or says how long to wait.
    pub fn try_acquire(&self) -> Result<Acquired, Error> {
        self.try_acquire_with(Key::IDENTITY, Cost::ONE)
    }

    /// Grants a request of `cost` for `key` now, in one round trip, or says how long to wait
    /// (nothing consumed): every window and budget it falls under has room for all of it.
    pub fn try_acquire_with(&self, key: Key, cost: Cost) -> Result<Acquired, Error> {
        let reply = self.run(&self.acquire_args(key, cost))?;
        self.acquired(key, cost, &reply)
    }

    pub(crate) fn acquire_args(&self, key: Key, cost: Cost) -> Vec<String> {
        let mut args = self.common("acquire");
        args.push(key_arg(key));
        args.push(cost.request_count().to_string());
        args.push(cost.byte_count().to_string());
        args
    }

    /// What an acquire's reply says.
    pub(crate) fn acquired(&self, key: Key, cost: Cost, reply: &Value) -> Result<Acquired, Error> {
        let bad = || Error::Store {
            detail: format!("unexpected acquire reply {reply:?}"),
        };
        let Value::Array(items) = &reply else {
            return Err(bad());
        };
        match items.as_slice() {
            [Value::Int(1), member, _now, _epoch] => {
                let member = text(member).ok_or_else(bad)?;
                self.outstanding().0.insert(member.clone());
                Ok(Acquired::Granted(RemoteGrant { member, key, cost }))
            }
            [
                Value::Int(0),
                Value::Int(until),
                Value::Int(cause),
                Value::Int(now),
                _epoch,
            ] => {
                let wait = match u64::try_from(until - now) {
                    _ if *until >= (1 << 53) - 1 => Duration::MAX,
                    Ok(ms) => Duration::from_millis(ms),
                    Err(_) => Duration::ZERO,
                };
                let cause = match cause {
                    2 => Cause::ServerBudget,
                    3 => Cause::Paused,
                    4 => Cause::InFlight,
                    5 => Cause::Discovering,
                    _ => Cause::Window(0),
                };
                Ok(Acquired::Wait { wait, cause })
            }
            _ => Err(bad()),
        }
    }

    /// Feeds the response to the request `grant` allowed, in one round trip: what the core
    /// decides the response asks ([`headroom_core::effect::effects`]) is applied to the
    /// shared state, so one process's `r`/`t` constrains all of them.
    pub fn observe<const P: usize>(
        &self,
        grant: RemoteGrant,
        obs: &Observation<P>,
    ) -> Result<(), Error> {
        self.run(&self.observe_args(grant, obs)).map(drop)
    }

    pub(crate) fn observe_args<const P: usize>(
        &self,
        grant: RemoteGrant,
        obs: &Observation<P>,
    ) -> Vec<String> {
        self.outstanding().0.remove(&grant.member);
        let mut args = self.common("observe");
        args.push(grant.member.clone());
        let guard = self.config.reset_guard;
        effects(obs, grant.key, &self.config, |e| match e {
            Effect::Learn {
                policy,
                quota,
                window,
            } => args.extend([
                "L".into(),
                policy.get().to_string(),
                quota.to_string(),
                window.as_millis().to_string(),
            ]),
            Effect::Budget {
                policy,
                key,
                bytes,
                remaining,
                reset,
                window,
            } => {
                // `t` is whole seconds: a reset guard, at most 1/64 of the window.
                let guard = window.map_or(guard, |w| {
                    guard.min(Duration::from_millis(w.as_millis() / 64))
                });
                args.extend([
                    "B".into(),
                    key_arg(key),
                    policy.get().to_string(),
                    u8::from(bytes).to_string(),
                    remaining.to_string(),
                    (reset + guard).as_millis().to_string(),
                    window.map_or(0, Duration::as_millis).to_string(),
                ]);
            }
            Effect::InFlightCap(q) => args.extend(["C".into(), q.to_string()]),
            Effect::Pause(wait) => args.extend(["P".into(), wait.as_millis().to_string()]),
            Effect::Hold {
                policy,
                key,
                bytes,
                wait,
            } => args.extend([
                "H".into(),
                key_arg(key),
                policy.get().to_string(),
                u8::from(bytes).to_string(),
                wait.as_millis().to_string(),
            ]),
        });
        args
    }

    /// The request `grant` allowed got no response: it stays counted in the windows (it may
    /// have reached the server) and is no longer in flight.
    pub fn release(&self, grant: RemoteGrant) -> Result<(), Error> {
        self.run(&self.release_args(grant)).map(drop)
    }

    pub(crate) fn release_args(&self, grant: RemoteGrant) -> Vec<String> {
        self.outstanding().0.remove(&grant.member);
        let mut args = self.common("release");
        args.push(grant.member);
        args
    }

    /// The arguments every step starts with.
    fn common(&self, op: &str) -> Vec<String> {
        let now = self
            .clock
            .as_ref()
            .map_or(String::new(), |c| c().to_string());
        let mut args = vec![
            op.to_string(),
            now,
            self.config.guard.as_millis().to_string(),
            self.in_flight_lifetime.as_millis().to_string(),
            self.windows.len().to_string(),
        ];
        for w in &self.windows {
            args.extend([
                w.length_ms.to_string(),
                w.quota.to_string(),
                w.buckets.to_string(),
            ]);
        }
        args
    }

    fn outstanding(&self) -> std::sync::MutexGuard<'_, (BTreeSet<String>, Option<i64>)> {
        self.outstanding.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One step, then, if its reply shows a state begun since the last (Redis restarted
    /// without it), this process's grants in flight added to the new state.
    fn run(&self, args: &[String]) -> Result<Value, Error> {
        let reply = self.call(args)?;
        if let Some(readd) = self.readd_after(&reply) {
            self.call(&readd)?;
        }
        Ok(reply)
    }

    /// The `readd` step to run after `reply`, when it shows a state begun since the last.
    pub(crate) fn readd_after(&self, reply: &Value) -> Option<Vec<String>> {
        let epoch = match reply {
            Value::Array(items) => match items.last() {
                Some(Value::Int(e)) => Some(*e),
                _ => None,
            },
            _ => None,
        };
        let lost = {
            let mut o = self.outstanding();
            let lost = matches!((o.1, epoch), (Some(seen), Some(now)) if seen != now);
            o.1 = epoch.or(o.1);
            lost.then(|| o.0.iter().cloned().collect::<Vec<_>>())
        };
        let members = lost.filter(|m| !m.is_empty())?;
        log::warn!(
            "headroom-redis: Redis lost the identity's state; {} grant(s) in flight re-added",
            members.len()
        );
        let mut readd = self.common("readd");
        readd.extend(members);
        Some(readd)
    }

    /// One script call: `EVALSHA`, reloading the script on `NOSCRIPT`. A connection that
    /// failed is dropped, and the next call opens another.
    fn call(&self, args: &[String]) -> Result<Value, Error> {
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(self.open()?);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(Error::Unavailable {
                detail: "no connection".into(),
            });
        };
        let reply = self.invocation(args).invoke::<Value>(connection);
        let reply = self.checked(reply);
        if reply.as_ref().is_err_and(Error::is_unavailable) {
            *slot = None;
        }
        reply
    }

    pub(crate) fn invocation(&self, args: &[String]) -> redis::ScriptInvocation<'_> {
        let mut invocation = self.script.prepare_invoke();
        for k in &self.keys {
            invocation.key(k);
        }
        for a in args {
            invocation.arg(a);
        }
        invocation
    }

    pub(crate) fn checked(&self, reply: redis::RedisResult<Value>) -> Result<Value, Error> {
        reply.map_err(|e| {
            let error = Error::from_redis(&e, self.secret.as_deref());
            log::warn!("headroom-redis: {error}");
            error
        })
    }

    fn open(&self) -> Result<Connection, Error> {
        let timeout = std::time::Duration::from_millis(self.timeout.as_millis());
        let fail = |e: redis::RedisError| Error::from_redis(&e, self.secret.as_deref());
        let connection = self
            .client
            .get_connection_with_timeout(timeout)
            .map_err(fail)?;
        connection.set_read_timeout(Some(timeout)).map_err(fail)?;
        connection.set_write_timeout(Some(timeout)).map_err(fail)?;
        Ok(connection)
    }
}

/// A key as the script takes it.
fn key_arg(key: Key) -> String {
    key.get().to_string()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// The password in a URL that failed to parse, to mask it in the error.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(
        userinfo
            .split_once(':')
            .map_or(userinfo, |(_, p)| p)
            .to_string(),
    )
}
