//! The middleware: acquire, send, observe, and retry as the core's driver decides.

use headroom_core::{Cost, Decision, Driver, GiveUp, Key, Method, Observation, RetryPolicy};
use headroom_std::read::{ERROR_BODY_LIMIT, log_ignored};
use headroom_std::{
    Poll, RequestSpan, Routes, SharedLimiter, Ticket, observation, redact_url, unix_now,
};
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

/// Paces and retries every request of a `reqwest_middleware::ClientWithMiddleware` by one
/// shared limiter. Clones share the limiter.
#[derive(Clone, Debug)]
pub struct Pacing {
    limiter: SharedLimiter,
    routes: Routes,
    retry: RetryPolicy,
}

/// How a response was had: its attempts, and why retrying stopped, if it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Requests sent for it.
    pub attempts: u32,
    /// Set when this response would have been retried but was not.
    pub stopped: Option<Stopped>,
}

impl Sent {
    /// What `response` records, if it came through [`Pacing`].
    pub fn of(response: &Response) -> Option<Sent> {
        response.extensions().get::<Sent>().copied()
    }
}

/// Why a retryable response was handed back as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The driver gave up (retries exhausted, a wait over `max_wait`, not idempotent).
    GaveUp(GiveUp),
    /// The request's body cannot be cloned (a stream), so it cannot be sent again.
    BodyNotReplayable,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::GaveUp(reason) => write!(f, "{reason}"),
            Stopped::BodyNotReplayable => {
                f.write_str("not retried: the request's body is a stream and cannot be sent again")
            }
        }
    }
}

impl Pacing {
    /// Paces every request by `limiter`, retried as [`RetryPolicy::DEFAULT`] says.
    pub fn new(limiter: SharedLimiter) -> Self {
        Pacing {
            limiter,
            routes: Routes::new(),
            retry: RetryPolicy::DEFAULT,
        }
    }

    /// Requests under `path_prefix` are acquired for a key of their own (see
    /// [`Routes::route`]).
    #[must_use]
    pub fn route(mut self, path_prefix: &str) -> Self {
        self.routes = self.routes.route(path_prefix);
        self
    }

    /// When and how often to retry (`max_retries: 0` turns retries off).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The limiter.
    pub fn limiter(&self) -> &SharedLimiter {
        &self.limiter
    }

    fn cost_and_key(&self, request: &Request, extensions: &Extensions) -> (Cost, Key) {
        let bytes = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .map_or(0, |b| b.len() as u64);
        self.routes.ask(extensions, request.url().path(), bytes)
    }

    /// Sleeps as the driver and the limiter say, then takes the ticket.
    async fn next_ticket(
        &self,
        driver: &mut Driver,
        key: Key,
        cost: Cost,
        span: &RequestSpan,
    ) -> Result<Ticket, headroom_std::Error> {
        let mut waited = 0;
        loop {
            // Listening first: a wake-up between the poll and the sleep is not missed.
            let listener = self.limiter.listen();
            let poll = self.limiter.poll_send_async(driver, key, cost).await?;
            match poll {
                Poll::Send(ticket) => return Ok(ticket),
                Poll::Wait { wait, cause } => {
                    waited += wait.as_millis();
                    match cause {
                        Some(c) => span.waited(waited, &c),
                        None => span.waited(waited, &"the retry delay"),
                    }
                    let sleep = std::time::Duration::from_millis(wait.as_millis());
                    let _ = tokio::time::timeout(sleep, listener).await;
                }
            }
        }
    }
}

fn middleware_error(e: headroom_std::Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(e.into())
}

#[async_trait::async_trait]
impl Middleware for Pacing {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let url = redact_url(request.url().as_str()).into_owned();
        let span = RequestSpan::new(request.method().as_str(), &url);
        let (cost, key) = self.cost_and_key(&request, extensions);
        let mut driver = Driver::new(Method::from_name(request.method().as_str()), self.retry);
        let mut request = request;
        loop {
            // A copy for the next attempt, taken before this one consumes the request.
            let replay = request.try_clone();
            let ticket = self
                .next_ticket(&mut driver, key, cost, &span)
                .await
                .map_err(middleware_error)?;
            let attempts = driver.attempts();
            span.attempts(attempts);
            let response = match next.clone().run(request, extensions).await {
                Ok(response) => response,
                Err(e) => {
                    self.limiter
                        .hand_back_async(ticket, None::<&Observation>)
                        .await;
                    log::debug!("headroom: {url}: {e}");
                    match (self.limiter.decide_lost(&mut driver), replay) {
                        (Decision::Retry { after, .. }, Some(again)) => {
                            log::info!(
                                "headroom: {url}: retry {attempts} in {} ms",
                                after.as_millis()
                            );
                            request = again;
                            continue;
                        }
                        _ => return Err(e),
                    }
                }
            };
            let (response, obs) = read(response, unix_now(self.limiter.clock())).await;
            log_ignored(&obs);
            let decision = self.limiter.decide(&mut driver, &obs);
            self.limiter.hand_back_async(ticket, Some(&obs)).await;
            let stopped = match (decision, replay) {
                (Decision::Done, _) => None,
                (Decision::Retry { after, .. }, Some(again)) => {
                    log::info!(
                        "headroom: {url} → {}: retry {attempts} in {} ms",
                        response.status().as_u16(),
                        after.as_millis()
                    );
                    request = again;
                    continue;
                }
                (Decision::Retry { .. }, None) => Some(Stopped::BodyNotReplayable),
                (Decision::GiveUp(reason), _) => Some(Stopped::GaveUp(reason)),
            };
            if let Some(why) = stopped {
                log::warn!("headroom: {url} → {}: {why}", response.status().as_u16());
            }
            let mut response = response;
            response.extensions_mut().insert(Sent { attempts, stopped });
            return Ok(response);
        }
    }
}

/// The response's facts. An error response's body is read first (up to 64 KiB, for
/// `retry_after` and problem details) and put back, so the caller still reads it.
async fn read(response: Response, now: Option<headroom_core::UnixTime>) -> (Response, Observation) {
    let status = response.status().as_u16();
    let declared = response.content_length();
    if status < 400 || declared.is_some_and(|n| n > ERROR_BODY_LIMIT) {
        let obs = observation(status, response.headers(), None, now);
        return (response, obs);
    }
    use reqwest::ResponseBuilderExt;
    let mut head = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    if let Some(h) = head.headers_mut() {
        *h = response.headers().clone();
    }
    let mut body = Vec::new();
    let mut response = response;
    // A body that fails midway, or runs past the limit, keeps what was read.
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() as u64 >= ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT as usize);
            break;
        }
    }
    let obs = observation(status, response.headers(), Some(&body), now);
    let rebuilt = head
        .body(reqwest::Body::from(body))
        .map(Response::from)
        .unwrap_or(response);
    (rebuilt, obs)
}
