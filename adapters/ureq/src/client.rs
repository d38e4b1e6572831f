//! The convenient client: an Agent of its own with [`Pacing`], [`retry`](crate::retry()) around
//! every call, and an optional GET [`Cache`]. Bring your own Agent with [`Pacing`] instead when
//! you need its proxies, TLS roots or middleware.

use crate::cache::{Cache, Stored};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::pacing::Pacing;
use crate::retry::{Sent, retry_with};
use headroom_core::{Cost, Method, RetryPolicy};
use headroom_std::{RequestSpan, Routes, SharedLimiter, redact_url};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use ureq::Body;
use ureq::http::{Request, Response, Uri};

/// Options for a [`Client`]. Defaults: the core's [`RetryPolicy::DEFAULT`], 30 s per attempt,
/// 10 s to connect, cached bodies up to 10 MiB, no cache.
pub struct ClientBuilder<C: Clock> {
    limiter: SharedLimiter<C>,
    retry: RetryPolicy,
    cache: Option<Cache>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: u64,
    headers: HeaderMap,
    routes: Routes,
    invalid: Option<String>,
}

impl<C: Clock> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder").finish_non_exhaustive()
    }
}

impl<C: Clock> ClientBuilder<C> {
    /// Requests under `path_prefix` are acquired for a key of their own (see
    /// [`Routes::route`]).
    pub fn route(mut self, path_prefix: &str) -> Self {
        self.routes = self.routes.route(path_prefix);
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

    /// The largest response body kept by the cache; a larger one is a [`Error::Transport`].
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// A header sent with every request (e.g. `Authorization`). An invalid one makes
    /// [`ClientBuilder::build`]'s client fail every request with [`Error::InvalidRequest`].
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(mut v)) => {
                v.set_sensitive(true);
                self.headers.append(n, v);
            }
            _ => self.invalid = Some(format!("invalid header {name:?}")),
        }
        self
    }

    /// The client.
    pub fn build(self) -> Client<C> {
        let pacing = Pacing::new(self.limiter.clone()).routes(self.routes);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout))
            // Below the 5 s keep-alive timeout of Node and Apache, so a connection idle while
            // the limiter waits is not reused just as the server closes it.
            .max_idle_age(Duration::from_secs(4))
            .user_agent(concat!("headroom/", env!("CARGO_PKG_VERSION")))
            .middleware(pacing)
            .build()
            .into();
        Client {
            agent,
            limiter: self.limiter,
            retry: self.retry,
            cache: self.cache.map(Arc::new),
            max_body: self.max_body,
            headers: Arc::new(self.headers),
            invalid: self.invalid,
        }
    }
}

/// A blocking HTTP client that stays within its [`SharedLimiter`]'s limits. Clones share the
/// connection pool, limiter (and its [`Stats`](headroom_std::Stats)) and cache.
///
/// ```no_run
/// use headroom_ureq::{Client, Sent, SharedLimiter};
/// let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
/// let client = Client::builder(limiter).header("Authorization", "Bearer KEY").build();
/// let mut response = client.get("https://api.synth-link.example/v1/records?limit=10")?;
/// let attempts = Sent::of(&response).map_or(0, |s| s.attempts);
/// println!("{} after {attempts} attempt(s): {}", response.status(), response.body_mut().read_to_string()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client<C: Clock = SystemClock> {
    agent: ureq::Agent,
    limiter: SharedLimiter<C>,
    retry: RetryPolicy,
    cache: Option<Arc<Cache>>,
    max_body: u64,
    headers: Arc<HeaderMap>,
    invalid: Option<String>,
}

impl<C: Clock> fmt::Debug for Client<C> {
    // The headers hold credentials: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Client")
            .field("limiter", &self.limiter)
            .field("headers", &names)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// `url` as a request target: absolute, `http` or `https`, with a host. Checked before
/// anything is sent, so a bad URL fails at once and is never retried.
pub fn check_url(url: &str) -> Result<Uri, Error> {
    let shown = redact_url(url);
    let bad = |why: &str| Error::InvalidRequest(format!("invalid URL {shown:?}: {why}"));
    let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
    match uri.scheme_str() {
        None => return Err(bad("no scheme (expected http:// or https://)")),
        Some("http" | "https") => {}
        Some(other) => {
            return Err(bad(&format!(
                "unsupported scheme {other:?} (expected http or https)"
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(uri)
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
            headers: HeaderMap::new(),
            routes: Routes::new(),
            invalid: None,
        }
    }

    /// The limiter.
    pub fn limiter(&self) -> &SharedLimiter<C> {
        &self.limiter
    }

    /// The counters of the limiter (every client and agent on it).
    pub fn stats(&self) -> &headroom_std::Stats {
        self.limiter.stats()
    }

    /// The Agent, with [`Pacing`] installed, for requests this client has no method for.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// GETs `url`.
    pub fn get(&self, url: &str) -> Result<Response<Body>, Error> {
        let request = Request::get(url).body(Vec::new()).map_err(|_| {
            check_url(url)
                .err()
                .unwrap_or(Error::InvalidRequest("bad URL".into()))
        })?;
        self.send(&request)
    }

    /// Sends `request` (its body again on each retry): waits for the limiter, retries as the
    /// retry policy says, and returns the final response (any status that is not retried),
    /// its body streaming unless the cache kept it.
    pub fn send<B: AsRef<[u8]>>(&self, request: &Request<B>) -> Result<Response<Body>, Error> {
        if let Some(why) = &self.invalid {
            return Err(Error::InvalidRequest(why.clone()));
        }
        let url = request.uri().to_string();
        check_url(&url)?;
        let span = RequestSpan::new(request.method().as_str(), &url);
        #[cfg(feature = "tracing")]
        let _entered = span.span().enter();
        let mut headers = (*self.headers).clone();
        for (name, value) in request.headers() {
            headers.insert(name, value.clone());
        }
        let cache = self
            .cache
            .as_deref()
            .filter(|c| c.applies(request.method(), &url));
        let clock = self.limiter.clock();
        if let Some(hit) = cache.and_then(|c| c.get(&url, &headers, clock.now())) {
            self.limiter.stats().record_cache_hit();
            return Ok(rebuilt(hit, 0, true));
        }
        let body = request.body().as_ref();
        let bytes = u32::try_from(body.len()).unwrap_or(u32::MAX);
        let method = Method::from_name(request.method().as_str());
        let mut attempts = 0;
        let result = retry_with(&self.limiter, method, self.retry, || {
            attempts += 1;
            span.attempts(attempts);
            let mut builder = Request::builder()
                .method(request.method().clone())
                .uri(request.uri().clone())
                .extension(Cost::ONE.content_bytes(bytes));
            if let Some(h) = builder.headers_mut() {
                *h = headers.clone();
            }
            let attempt = builder.body(body).map_err(ureq::Error::Http)?;
            self.agent.run(attempt)
        });
        let response = result.inspect_err(|e| {
            log::warn!("headroom: {} {}: {e}", request.method(), redact_url(&url));
        })?;
        match cache {
            Some(c) if response.status().is_success() => {
                let attempts = Sent::of(&response).map_or(1, |s| s.attempts);
                let stored = self.read_whole(response, attempts)?;
                c.put(&url, &headers, clock.now(), stored.clone());
                Ok(rebuilt(stored, attempts, false))
            }
            _ => Ok(response),
        }
    }

    fn read_whole(&self, response: Response<Body>, attempts: u32) -> Result<Stored, Error> {
        let (parts, body) = response.into_parts();
        let mut bytes = Vec::new();
        body.into_with_config()
            .limit(self.max_body)
            .reader()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Transport {
                attempts,
                source: ureq::Error::Io(e),
            })?;
        Ok(Stored {
            status: parts.status,
            headers: parts.headers,
            body: bytes,
        })
    }
}

/// A response made again from stored parts.
fn rebuilt(stored: Stored, attempts: u32, from_cache: bool) -> Response<Body> {
    let mut response = Response::new(Body::builder().data(stored.body));
    *response.status_mut() = stored.status;
    *response.headers_mut() = stored.headers;
    response.extensions_mut().insert(Sent {
        attempts,
        from_cache,
    });
    response
}
