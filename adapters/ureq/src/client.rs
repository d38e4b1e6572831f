//! The rate-limited, retrying client: wait for the limiter, send, feed the response back, and
//! retry as the core decides.
//!
//! The retry loop sits around the call, not in a ureq middleware: a middleware sees each
//! response once and cannot replay a streamed body. Bodies here are byte slices, so a retried
//! POST sends the same bytes again.

use crate::cache::Cache;
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::shared::SharedLimiter;
use headroom_core::{Cost, Decision, Driver, Key, Method, Observation, RetryPolicy, UnixTime};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A request to send. Borrowed, so it can be sent again on a retry.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method (`GET`, `POST`, …).
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Extra headers for this request.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, if any.
    pub body: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// A GET of `url`.
    pub fn get(url: &'a str) -> Self {
        Request {
            method: "GET",
            url,
            headers: &[],
            body: None,
        }
    }
}

/// A response read in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields in the order received; names in lowercase.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// Requests sent for this response (0 when it came from the cache).
    pub attempts: u32,
    /// True when served from the [`Cache`].
    pub from_cache: bool,
}

impl Response {
    /// The first value of header `name` (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// This response reduced to rate-limit facts, read against the wall clock `now`.
    pub fn observation(&self, now: Option<UnixTime>) -> Observation {
        let headers = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
        let response = headroom_core::Response {
            status: Some(self.status),
            headers,
            body: (self.status >= 400).then_some(self.body.as_slice()),
            received_at: now,
        };
        Observation::of(&response, &mut [0u8; 1024])
    }
}

/// Counters shared by all clones of a client.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent (attempts, retries included).
    pub sent: AtomicU64,
    /// Responses with a 2xx status.
    pub ok: AtomicU64,
    /// Responses with status 429.
    pub throttled: AtomicU64,
    /// Retries decided.
    pub retries: AtomicU64,
    /// Responses served from the cache.
    pub cached: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Options for a [`Client`]. Defaults: the core's [`RetryPolicy::DEFAULT`], 30 s per attempt,
/// 10 s to connect, bodies up to 10 MiB, no cache.
#[derive(Debug)]
pub struct ClientBuilder<C: Clock> {
    limiter: SharedLimiter<C>,
    retry: RetryPolicy,
    cache: Option<Cache>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: u64,
    headers: Vec<(String, String)>,
    routes: Vec<String>,
}

impl<C: Clock> ClientBuilder<C> {
    /// Requests whose URL path starts with `path_prefix` (the longest configured prefix wins)
    /// are acquired for the key of that name ([`Key::named`]): the limits their responses
    /// describe hold back only them, as GitHub's `/search` limit holds back searches only.
    /// Once a route is configured, requests on none are acquired for the key named `/`, so
    /// the routes' limits do not hold them back either; without routes every request falls
    /// under every limit.
    pub fn route(mut self, path_prefix: &str) -> Self {
        self.routes.push(path_prefix.to_string());
        self
    }

    /// When and how often to retry.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Caches GET responses as `cache`'s routes say.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The longest one attempt may take, response body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a connection may take to open.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body read; a larger one is a [`Error::Transport`].
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// A header sent with every request (e.g. `Authorization`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The client.
    pub fn build(self) -> Client<C> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false) // 429s must reach us with their headers
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout))
            // Below the 5 s keep-alive timeout of Node and Apache, so a connection idle while
            // the limiter waits is not reused just as the server closes it.
            .max_idle_age(std::time::Duration::from_secs(4))
            .user_agent(concat!("headroom/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            limiter: self.limiter,
            retry: self.retry,
            cache: self.cache.map(Arc::new),
            stats: Arc::new(Stats::default()),
            max_body: self.max_body,
            headers: Arc::new(self.headers),
            routes: Arc::new(self.routes),
        }
    }
}

/// Why an attempt produced no response to decide on.
enum Failed {
    /// Nothing came back (connection refused or reset, timeout): retried for idempotent methods.
    NoResponse(ureq::Error),
    /// Anything else, handed to the caller.
    Other(Error),
}

/// A blocking HTTP client that stays within its [`SharedLimiter`]'s limits. Clones share the
/// connection pool, limiter, cache and [`Stats`].
///
/// ```no_run
/// use headroom_ureq::{Client, SharedLimiter};
/// let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
/// let client = Client::builder(limiter).header("Authorization", "Bearer KEY").build();
/// let response = client.get("https://api.synth-link.example/v1/records?limit=10")?;
/// println!("{} after {} attempt(s): {}", response.status, response.attempts, response.text());
/// # Ok::<(), headroom_ureq::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Client<C: Clock = SystemClock> {
    agent: ureq::Agent,
    limiter: SharedLimiter<C>,
    retry: RetryPolicy,
    cache: Option<Arc<Cache>>,
    stats: Arc<Stats>,
    max_body: u64,
    headers: Arc<Vec<(String, String)>>,
    routes: Arc<Vec<String>>,
}

impl<C: Clock> Client<C> {
    /// Starts building a client that draws on `limiter`.
    pub fn builder(limiter: SharedLimiter<C>) -> ClientBuilder<C> {
        ClientBuilder {
            limiter,
            retry: RetryPolicy::DEFAULT,
            cache: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 10 << 20,
            headers: Vec::new(),
            routes: Vec::new(),
        }
    }

    /// The key `url` is acquired for: its longest configured route, else `/` (when routes
    /// are configured) or the identity.
    fn key_for(&self, url: &str) -> Key {
        if self.routes.is_empty() {
            return Key::IDENTITY;
        }
        let path = url
            .parse::<ureq::http::Uri>()
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        self.routes
            .iter()
            .filter(|r| path.starts_with(r.as_str()))
            .max_by_key(|r| r.len())
            .map_or(Key::named("/"), |r| Key::named(r))
    }

    /// The limiter.
    pub fn limiter(&self) -> &SharedLimiter<C> {
        &self.limiter
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// GETs `url`.
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        self.send(&Request::get(url))
    }

    /// Sends `request`: waits for the limiter, retries as the retry policy says, and returns the
    /// final response (any status that is not retried), or an error.
    pub fn send(&self, request: &Request<'_>) -> Result<Response, Error> {
        let clock = self.limiter.clock();
        let cache = self
            .cache
            .as_deref()
            .filter(|_| request.method.eq_ignore_ascii_case("GET"));
        if let Some(hit) = cache.and_then(|c| c.get(request.url, clock.now())) {
            Stats::bump(&self.stats.cached);
            return Ok(Response {
                attempts: 0,
                from_cache: true,
                ..hit
            });
        }
        let mut driver = Driver::new(Method::from_name(request.method), self.retry);
        let key = self.key_for(request.url);
        // A request costs its content bytes under a `content-bytes` policy (see `Cost`).
        let bytes = request
            .body
            .map_or(0, |b| u32::try_from(b.len()).unwrap_or(u32::MAX));
        let cost = Cost::ONE.content_bytes(bytes);
        loop {
            let ticket = self.limiter.next_send(&mut driver, key, cost)?;
            let attempts = driver.attempts();
            Stats::bump(&self.stats.sent);
            let (response, obs, body_error) = match self.attempt(request, attempts) {
                Err(Failed::NoResponse(source)) => {
                    log::warn!("headroom: {} {}: {source}", request.method, request.url);
                    match self.limiter.lost(&mut driver, ticket) {
                        Decision::Retry { after, .. } => {
                            Stats::bump(&self.stats.retries);
                            log::info!(
                                "headroom: {} {}: retry {attempts} in {} ms",
                                request.method,
                                request.url,
                                after.as_millis()
                            );
                            continue;
                        }
                        _ => return Err(Error::Transport { attempts, source }),
                    }
                }
                // The ticket is released as it drops.
                Err(Failed::Other(e)) => return Err(e),
                Ok(answered) => answered,
            };
            let decision = self.limiter.answered(&mut driver, ticket, &obs);
            if let Some(source) = body_error {
                // The head arrived and was observed; a body that failed is not retried.
                return Err(Error::Transport { attempts, source });
            }
            match decision {
                Decision::Done => {
                    if let Some(c) = cache.filter(|_| (200..300).contains(&response.status)) {
                        c.put(request.url, clock.now(), &response);
                    }
                    return Ok(response);
                }
                Decision::Retry { after, from_server } => {
                    Stats::bump(&self.stats.retries);
                    log::info!(
                        "headroom: {} {} → {}; retry {attempts} in {} ms ({})",
                        request.method,
                        request.url,
                        response.status,
                        after.as_millis(),
                        if from_server {
                            "server's delay"
                        } else {
                            "backoff"
                        }
                    );
                }
                Decision::GiveUp(reason) => {
                    log::warn!(
                        "headroom: {} {} → {}: {reason}",
                        request.method,
                        request.url,
                        response.status
                    );
                    return Err(Error::GaveUp {
                        reason,
                        response: Box::new(response),
                    });
                }
            }
        }
    }

    /// One request; the response with its facts, and the body's error if only the head came.
    fn attempt(
        &self,
        request: &Request<'_>,
        attempts: u32,
    ) -> Result<(Response, Observation, Option<ureq::Error>), Failed> {
        let clock = self.limiter.clock();
        let (status, headers, body) = match self.call(request) {
            Ok(parts) => parts,
            Err(Error::Transport { source, .. }) => return Err(Failed::NoResponse(source)),
            Err(other) => return Err(Failed::Other(other)),
        };
        let (body, body_error) = match body {
            Ok(b) => (b, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let response = Response {
            status,
            headers,
            body,
            attempts,
            from_cache: false,
        };
        let now = clock
            .unix_ms()
            .map(|ms| UnixTime::from_secs(i64::try_from(ms / 1000).unwrap_or(i64::MAX)));
        let obs = response.observation(now);
        for ignored in obs.ignored() {
            log::debug!(
                "headroom: ignored {} ({})",
                ignored.field.name(),
                ignored.reason.as_str()
            );
        }
        match status {
            200..=299 => Stats::bump(&self.stats.ok),
            429 => Stats::bump(&self.stats.throttled),
            _ => {}
        }
        Ok((response, obs, body_error))
    }

    /// Sends once; the body is read separately so that its failure keeps the headers.
    #[allow(clippy::type_complexity)]
    fn call(
        &self,
        request: &Request<'_>,
    ) -> Result<(u16, Vec<(String, Vec<u8>)>, Result<Vec<u8>, ureq::Error>), Error> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(request.url);
        for (name, value) in self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(request.headers.iter().copied())
        {
            builder = builder.header(name, value);
        }
        let invalid = |e: ureq::http::Error| Error::InvalidRequest(e.to_string());
        let sent = match request.body {
            Some(body) => self.agent.run(builder.body(body).map_err(invalid)?),
            None => self.agent.run(builder.body(()).map_err(invalid)?),
        };
        let mut response = sent.map_err(|source| Error::Transport {
            attempts: 0,
            source,
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_body)
            .read_to_vec();
        Ok((status, headers, body))
    }
}
