//! Pacing as a ureq [`Middleware`]: every request of the user's own [`ureq::Agent`] waits for
//! the shared limiter before it goes, and its response is fed back after.
//!
//! ```no_run
//! use headroom_ureq::{Pacing, SharedLimiter};
//! let limiter = SharedLimiter::new(&["60/1m".parse()?])?;
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .middleware(Pacing::new(limiter)) // the one line
//!     .build()
//!     .into();
//! let response = agent.get("https://api.synth-link.example/v1/lists").call()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Statuses.** ureq's default `http_status_as_error(true)` turns a 429 into an error before
//! any middleware sees its `Retry-After` and `RateLimit` fields. Pacing needs them, so it sends
//! each request with that setting off and reads every response. It then hands the status
//! back as *its* setting says: by default as a response (check `status()`, or use
//! [`retry`](crate::retry())), or, with [`Pacing::http_status_as_error`], as ureq's
//! `Error::StatusCode` after the limiter has read it.
//!
//! **Cost and key.** A request costs one request and its `Content-Length` in bytes, for the
//! identity's key or its [route](Pacing::route); a [`Cost`] or [`Key`] in the request's
//! extensions says otherwise.

use crate::clock::{Clock, SystemClock};
use headroom_core::{Cost, Key};
use headroom_std::read::{ERROR_BODY_LIMIT, log_ignored};
use headroom_std::{RequestSpan, Routes, SharedLimiter, observation, redact_url, unix_now};
use std::io::{Cursor, Read};
use ureq::http::{Request, Response};
use ureq::middleware::{Middleware, MiddlewareNext};
use ureq::{Body, RequestExt, SendBody};

/// The pacing middleware. Clones share the limiter.
#[derive(Clone, Debug)]
pub struct Pacing<C: Clock = SystemClock> {
    limiter: SharedLimiter<C>,
    routes: Routes,
    status_as_error: bool,
}

impl<C: Clock> Pacing<C> {
    /// Paces every request by `limiter`.
    pub fn new(limiter: SharedLimiter<C>) -> Self {
        Pacing {
            limiter,
            routes: Routes::new(),
            status_as_error: false,
        }
    }

    /// Requests under `path_prefix` are acquired for a key of their own (see
    /// [`Routes::route`]).
    #[must_use]
    pub fn route(mut self, path_prefix: &str) -> Self {
        self.routes = self.routes.route(path_prefix);
        self
    }

    /// The routes, all at once.
    #[must_use]
    pub fn routes(mut self, routes: Routes) -> Self {
        self.routes = routes;
        self
    }

    /// After the limiter has read it, hand a 4xx or 5xx back as ureq's
    /// `Error::StatusCode`, as ureq's own default does (default: false, a response).
    #[must_use]
    pub fn http_status_as_error(mut self, on: bool) -> Self {
        self.status_as_error = on;
        self
    }

    /// The limiter.
    pub fn limiter(&self) -> &SharedLimiter<C> {
        &self.limiter
    }

    fn cost_and_key(&self, request: &Request<SendBody>) -> (Cost, Key) {
        let bytes = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        self.routes
            .ask(request.extensions(), request.uri().path(), bytes)
    }
}

impl<C: Clock> Middleware for Pacing<C> {
    fn handle(
        &self,
        request: Request<SendBody>,
        next: MiddlewareNext,
    ) -> Result<Response<Body>, ureq::Error> {
        let span = RequestSpan::new(request.method().as_str(), &request.uri().to_string());
        let (cost, key) = self.cost_and_key(&request);
        let started = self.limiter.clock().now();
        let ticket = self
            .limiter
            .acquire_with(key, cost)
            .map_err(|e| ureq::Error::Other(Box::new(e)))?;
        let waited = self
            .limiter
            .clock()
            .now()
            .saturating_duration_since(started);
        if waited > headroom_core::Duration::ZERO {
            span.waited(waited.as_millis(), &"the limiter");
        }
        // Every response, a 429's headers included, must reach the limiter.
        let Some(config) = request.middleware_config() else {
            return Err(ureq::Error::Other(
                "headroom's Pacing runs only inside a ureq Agent".into(),
            ));
        };
        let request = config.http_status_as_error(false).build();
        let url = redact_url(&request.uri().to_string()).into_owned();
        let response = match next.handle(request) {
            Ok(response) => response,
            Err(e) => {
                log::debug!("headroom: {url}: {}", crate::error::Words(&e));
                self.limiter.lost(ticket);
                return Err(e);
            }
        };
        let (response, head) = with_error_body_read(response);
        let status = response.status().as_u16();
        let now = unix_now(self.limiter.clock());
        let obs = observation(status, response.headers(), head.as_deref(), now);
        log_ignored(&obs);
        self.limiter.observe(ticket, &obs);
        let mut response = response;
        response.extensions_mut().insert(Observed(obs));
        if self.status_as_error && status >= 400 {
            return Err(ureq::Error::StatusCode(status));
        }
        Ok(response)
    }
}

/// What the limiter read from a response, kept in its extensions for [`retry`](crate::retry()).
#[derive(Clone, Debug)]
pub(crate) struct Observed(pub(crate) headroom_core::Observation);

/// An error response with the start of its body read (for `retry_after` and problem details)
/// and put back in front of the rest, so the caller still reads all of it.
fn with_error_body_read(response: Response<Body>) -> (Response<Body>, Option<Vec<u8>>) {
    if response.status().as_u16() < 400 {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    let mime = body.mime_type().map(str::to_string);
    let charset = body.charset().map(str::to_string);
    let mut rest = body.into_reader();
    let mut head = Vec::new();
    // A body that fails midway keeps what was read; the caller meets the failure reading on.
    let _ = (&mut rest).take(ERROR_BODY_LIMIT).read_to_end(&mut head);
    let mut builder = Body::builder();
    if let Some(m) = mime {
        builder = builder.mime_type(m);
    }
    if let Some(c) = charset {
        builder = builder.charset(c);
    }
    let body = builder.reader(Cursor::new(head.clone()).chain(rest));
    (Response::from_parts(parts, body), Some(head))
}
