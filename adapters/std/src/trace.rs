//! A `tracing` span per request (feature `tracing`); without the feature, nothing.

/// The span of one request: entered for its whole life, it carries the attempts made, the
/// time waited for the limiter, and the policy that made it wait.
#[derive(Debug)]
pub struct RequestSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl RequestSpan {
    /// A span for `method` on `url` (shown without credentials).
    pub fn new(method: &str, url: &str) -> Self {
        #[cfg(not(feature = "tracing"))]
        let _ = (method, url);
        RequestSpan {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                "headroom.request",
                method,
                url = %crate::redact_url(url),
                attempts = tracing::field::Empty,
                waited_ms = tracing::field::Empty,
                bound_by = tracing::field::Empty,
            ),
        }
    }

    /// Records that the request waited `ms` for the limiter because of `cause`.
    pub fn waited(&self, ms: u64, cause: &dyn core::fmt::Display) {
        #[cfg(feature = "tracing")]
        {
            self.span.record("waited_ms", ms);
            self.span.record("bound_by", tracing::field::display(cause));
            tracing::debug!(parent: &self.span, wait_ms = ms, %cause, "waiting for the limiter");
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (ms, cause);
    }

    /// Records the attempts made so far.
    pub fn attempts(&self, attempts: u32) {
        #[cfg(feature = "tracing")]
        self.span.record("attempts", attempts);
        #[cfg(not(feature = "tracing"))]
        let _ = attempts;
    }

    /// The `tracing` span itself, to enter or instrument a future with.
    #[cfg(feature = "tracing")]
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }
}
