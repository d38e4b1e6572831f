//! Retries around a request closure, on the core's retry driver.
//!
//! A middleware cannot replay a request body, so retrying sits outside the Agent: the closure
//! sends the request again (with its body), and the driver decides, after each answer,
//! whether and when: the server's `Retry-After` (or body) first, else jittered exponential
//! backoff, within `max_wait`; non-idempotent methods are not retried unless the policy says
//! so. With [`Pacing`](crate::Pacing) on the Agent, every attempt also waits for the limiter.
//!
//! ```no_run
//! use headroom_ureq::{Pacing, SharedLimiter, retry, headroom_core::Method};
//! let limiter = SharedLimiter::new(&["60/1m".parse()?])?;
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .middleware(Pacing::new(limiter.clone()))
//!     .build()
//!     .into();
//! let body = br#"{"name":"weekly"}"#;
//! let response = retry(&limiter, Method::Post, || {
//!     agent.post("https://api.synth-link.example/v1/lists").send(&body[..])
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::clock::Clock;
use crate::error::{Error, tls_io};
use crate::pacing::Observed;
use headroom_core::{Decision, Driver, Method, RetryPolicy};
use headroom_std::{SharedLimiter, observation, unix_now};
use ureq::Body;
use ureq::http::Response;

/// How a response was had: the attempts it took, and whether a cache answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Requests sent for it (0 when it came from a cache).
    pub attempts: u32,
    /// True when a [`Cache`](crate::Cache) answered.
    pub from_cache: bool,
}

impl Sent {
    /// What `response` records, if it came through headroom.
    pub fn of<B>(response: &Response<B>) -> Option<Sent> {
        response.extensions().get::<Sent>().copied()
    }
}

/// Sends with `send` and retries it as [`RetryPolicy::DEFAULT`] and the server say, for a
/// request with `method`. Returns the final response (any status that is not retried), or
/// [`Error::GaveUp`] with the last one.
pub fn retry<C: Clock>(
    limiter: &SharedLimiter<C>,
    method: Method,
    send: impl FnMut() -> Result<Response<Body>, ureq::Error>,
) -> Result<Response<Body>, Error> {
    retry_with(limiter, method, RetryPolicy::DEFAULT, send)
}

/// [`retry()`] with `policy`.
pub fn retry_with<C: Clock>(
    limiter: &SharedLimiter<C>,
    method: Method,
    policy: RetryPolicy,
    mut send: impl FnMut() -> Result<Response<Body>, ureq::Error>,
) -> Result<Response<Body>, Error> {
    let mut driver = Driver::new(method, policy);
    loop {
        let delay = driver
            .resume_at()
            .saturating_duration_since(limiter.clock().now());
        if delay > headroom_core::Duration::ZERO {
            limiter.clock().sleep(delay);
        }
        let attempts = driver.attempts();
        let decision = match send() {
            Ok(response) => {
                let decision = match response.extensions().get::<Observed>() {
                    Some(Observed(obs)) => limiter.decide(&mut driver, obs),
                    None => {
                        let status = response.status().as_u16();
                        let now = unix_now(limiter.clock());
                        let obs = observation(status, response.headers(), None, now);
                        limiter.decide(&mut driver, &obs)
                    }
                };
                match decision {
                    Decision::Done => return Ok(delivered(response, attempts)),
                    Decision::GiveUp(reason) => {
                        return Err(Error::GaveUp {
                            reason,
                            response: Box::new(delivered(response, attempts)),
                        });
                    }
                    retry => retry,
                }
            }
            Err(e) => {
                let e = from_ureq(e)?;
                if !unanswered(&e) {
                    return Err(Error::Transport {
                        attempts,
                        source: e,
                    });
                }
                match limiter.decide_lost(&mut driver) {
                    Decision::Retry { after, .. } => Decision::Retry {
                        after,
                        from_server: false,
                    },
                    _ => {
                        return Err(Error::Transport {
                            attempts,
                            source: e,
                        });
                    }
                }
            }
        };
        if let Decision::Retry { after, from_server } = decision {
            log::info!(
                "headroom: retry {attempts} in {} ms ({})",
                after.as_millis(),
                if from_server {
                    "the server's delay"
                } else {
                    "backoff"
                }
            );
        }
    }
}

fn delivered(mut response: Response<Body>, attempts: u32) -> Response<Body> {
    response.extensions_mut().insert(Sent {
        attempts,
        from_cache: false,
    });
    response
}

/// The limiter's own refusals travel through ureq as `Error::Other`: unwrapped here.
fn from_ureq(e: ureq::Error) -> Result<ureq::Error, Error> {
    match e {
        ureq::Error::Other(inner) => match inner.downcast::<headroom_std::Error>() {
            Ok(limiter) => Err(Error::Limiter(*limiter)),
            Err(other) => Ok(ureq::Error::Other(other)),
        },
        e => Ok(e),
    }
}

/// Errors after which the request may not have reached the server, or got no answer:
/// retried for idempotent methods. A bad URL, a TLS failure or a body over the limit is
/// not: trying again would fail the same way.
fn unanswered(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => !tls_io(io),
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed | ureq::Error::BodyStalled => true,
        _ => false,
    }
}
