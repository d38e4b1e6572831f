//! Errors, with credentials left out.

use std::fmt;

/// Why the store could not decide. Nothing was granted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not one Redis can be reached at.
    BadUrl {
        /// What is wrong (the URL's credentials left out).
        detail: String,
    },
    /// Redis could not be reached, or did not answer within the timeout.
    Unavailable {
        /// The transport's error (credentials left out).
        detail: String,
    },
    /// Redis answered with an error, or with a reply the script does not give.
    Store {
        /// Redis's error (credentials left out).
        detail: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadUrl { detail } => write!(f, "not a Redis URL: {detail}"),
            Error::Unavailable { detail } => write!(f, "Redis is unavailable: {detail}"),
            Error::Store { detail } => write!(f, "Redis refused the rate-limit script: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether Redis could not be reached (worth waiting for), rather than refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }

    /// `e` as an error, with `secret` (the URL's password, if any) masked wherever it shows.
    pub(crate) fn from_redis(e: &redis::RedisError, secret: Option<&str>) -> Error {
        let detail = redact(&e.to_string(), secret);
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
        {
            Error::Unavailable { detail }
        } else {
            Error::Store { detail }
        }
    }
}

/// `text` with every occurrence of `secret` masked.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(s) => text.replace(s, "***"),
        None => text.to_string(),
    }
}
