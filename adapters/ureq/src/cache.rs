//! A bounded GET response cache with a time-to-live per route, as the seeds advise: lists change
//! rarely (cache long), analytics often (cache briefly or not at all). A hit costs no quota.
//!
//! It is a private cache that never hands one caller's response to another: an entry is
//! keyed by the method, the URL, and the request's `Authorization` and `Cookie`, and answers
//! only requests that also agree on every header its response names in `Vary`. A response
//! with `Vary: *`, `Cache-Control: no-store` or `no-cache` is not kept; `max-age` (less
//! `Age`) shortens the route's time-to-live, never lengthens it. A request that sends
//! `Cache-Control: no-cache` or `no-store` is not answered from the cache.
//!
//! ```
//! use headroom_ureq::Cache;
//! use std::time::Duration;
//! let cache = Cache::new(256)
//!     .route("/v1/lists", Duration::from_secs(600))
//!     .route("/v1/analytics", Duration::from_secs(30));
//! assert_eq!(cache.ttl_for("https://api.example/v1/lists/7?limit=10"), Some(Duration::from_secs(600)));
//! assert_eq!(cache.ttl_for("https://api.example/v1/users"), None);
//! ```

use headroom_core::time::Instant;
use http::header::{AGE, AUTHORIZATION, CACHE_CONTROL, COOKIE, VARY};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// Cached 2xx GET responses, at most `capacity` of them.
pub struct Cache {
    routes: Vec<(String, Duration)>,
    capacity: usize,
    entries: Mutex<Vec<Entry>>,
}

impl fmt::Debug for Cache {
    // Entries hold callers' credentials: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("routes", &self.routes)
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// A stored response, and what a request must agree on to get it.
#[derive(Clone)]
struct Entry {
    method_url: String,
    /// The request's `Authorization` and `Cookie`.
    caller: [Option<HeaderValue>; 2],
    /// Each header the response's `Vary` names, with the request's value.
    vary: Vec<(HeaderName, Option<HeaderValue>)>,
    expires: Instant,
    stored: Stored,
}

/// A response as kept: status, headers, body.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

fn caller(request: &HeaderMap) -> [Option<HeaderValue>; 2] {
    [
        request.get(AUTHORIZATION).cloned(),
        request.get(COOKIE).cloned(),
    ]
}

/// The directives of every `Cache-Control` field, lowercased, as `(name, value)`.
fn directives(headers: &HeaderMap) -> Vec<(String, Option<String>)> {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| match d.split_once('=') {
            Some((n, v)) => (
                n.trim().to_ascii_lowercase(),
                Some(v.trim().trim_matches('"').to_string()),
            ),
            None => (d.trim().to_ascii_lowercase(), None),
        })
        .collect()
}

fn has(directives: &[(String, Option<String>)], name: &str) -> bool {
    directives.iter().any(|(n, _)| n == name)
}

/// How long the response may be kept at most, by its own fields: `None` when it must not be.
fn lifetime(response: &HeaderMap, route_ttl: Duration) -> Option<Duration> {
    let cc = directives(response);
    if has(&cc, "no-store") || has(&cc, "no-cache") {
        return None;
    }
    let mut ttl = route_ttl;
    let max_age = cc
        .iter()
        .find(|(n, _)| n == "max-age")
        .and_then(|(_, v)| v.as_deref()?.parse::<u64>().ok());
    if let Some(max_age) = max_age {
        let age = response
            .get(AGE)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .unwrap_or(0);
        ttl = ttl.min(Duration::from_secs(max_age.saturating_sub(age)));
    }
    (!ttl.is_zero()).then_some(ttl)
}

/// The headers `Vary` names, or `None` for `Vary: *` (never cached).
fn varied(response: &HeaderMap) -> Option<Vec<HeaderName>> {
    let mut names = Vec::new();
    for value in response.get_all(VARY) {
        for name in value.to_str().ok()?.split(',').map(str::trim) {
            if name == "*" {
                return None;
            }
            if let Ok(n) = HeaderName::try_from(name) {
                names.push(n);
            } else if !name.is_empty() {
                return None; // unreadable: not safe to share
            }
        }
    }
    Some(names)
}

impl Cache {
    /// An empty cache holding at most `capacity` responses; nothing is cached until a route is
    /// added.
    pub fn new(capacity: usize) -> Self {
        Cache {
            routes: Vec::new(),
            capacity,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Caches responses to URLs whose path starts with `path_prefix` for `ttl` (the longest
    /// matching prefix wins; a zero `ttl` disables caching for that route).
    pub fn route(mut self, path_prefix: &str, ttl: Duration) -> Self {
        self.routes.push((path_prefix.to_string(), ttl));
        self
    }

    /// The time-to-live for `url`, if it is cached at all.
    pub fn ttl_for(&self, url: &str) -> Option<Duration> {
        let path = url.parse::<http::Uri>().ok()?.path().to_string();
        self.routes
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|&(_, ttl)| ttl)
            .filter(|ttl| !ttl.is_zero())
    }

    /// Responses held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a request of `method` to `url` may be answered from or stored in the cache.
    pub(crate) fn applies(&self, method: &http::Method, url: &str) -> bool {
        method == http::Method::GET && self.capacity > 0 && self.ttl_for(url).is_some()
    }

    pub(crate) fn get(&self, url: &str, request: &HeaderMap, now: Instant) -> Option<Stored> {
        let cc = directives(request);
        if has(&cc, "no-cache") || has(&cc, "no-store") {
            return None;
        }
        let method_url = format!("GET {url}");
        let who = caller(request);
        let mut entries = self.lock();
        entries.retain(|e| e.expires > now);
        entries
            .iter()
            .find(|e| {
                e.method_url == method_url
                    && e.caller == who
                    && e.vary.iter().all(|(n, v)| request.get(n) == v.as_ref())
            })
            .map(|e| e.stored.clone())
    }

    pub(crate) fn put(&self, url: &str, request: &HeaderMap, now: Instant, stored: Stored) {
        let Some(route_ttl) = self.ttl_for(url) else {
            return;
        };
        if !stored.status.is_success() || has(&directives(request), "no-store") {
            return;
        }
        let (Some(ttl), Some(vary)) = (
            lifetime(&stored.headers, route_ttl),
            varied(&stored.headers),
        ) else {
            return;
        };
        let entry = Entry {
            method_url: format!("GET {url}"),
            caller: caller(request),
            vary: vary
                .into_iter()
                .map(|n| {
                    let v = request.get(&n).cloned();
                    (n, v)
                })
                .collect(),
            expires: now.saturating_add(headroom_core::time::Duration::from_millis(
                u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            )),
            stored,
        };
        let mut entries = self.lock();
        entries.retain(|e| {
            e.expires > now
                && !(e.method_url == entry.method_url
                    && e.caller == entry.caller
                    && e.vary == entry.vary)
        });
        if entries.len() >= self.capacity {
            // Full of live entries: drop the one that expires first.
            if let Some(first) = (0..entries.len()).min_by_key(|&i| entries[i].expires) {
                entries.swap_remove(first);
            }
        }
        entries.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(fields: &[(&str, &str)]) -> HeaderMap {
        fields
            .iter()
            .map(|(n, v)| {
                (
                    HeaderName::try_from(*n).unwrap(),
                    HeaderValue::try_from(*v).unwrap(),
                )
            })
            .collect()
    }

    fn ok(fields: &[(&str, &str)], body: &str) -> Stored {
        Stored {
            status: http::StatusCode::OK,
            headers: headers(fields),
            body: body.into(),
        }
    }

    const URL: &str = "http://api.example/v1/lists";

    fn cache() -> Cache {
        Cache::new(8).route("/v1", Duration::from_secs(60))
    }

    #[test]
    fn two_identities_never_see_each_others_bodies() {
        let (c, t) = (cache(), Instant::ZERO);
        let alice = headers(&[("authorization", "Bearer alice")]);
        let bob = headers(&[("authorization", "Bearer bob")]);
        c.put(URL, &alice, t, ok(&[], "alice's"));
        assert!(c.get(URL, &bob, t).is_none());
        assert!(c.get(URL, &HeaderMap::new(), t).is_none());
        c.put(URL, &bob, t, ok(&[], "bob's"));
        assert_eq!(c.get(URL, &alice, t).unwrap().body, b"alice's");
        assert_eq!(c.get(URL, &bob, t).unwrap().body, b"bob's");
        let cookie = headers(&[("cookie", "session=1")]);
        assert!(c.get(URL, &cookie, t).is_none());
    }

    #[test]
    fn vary_and_cache_control_are_honoured() {
        let (c, t) = (cache(), Instant::ZERO);
        let en = headers(&[("accept-language", "en")]);
        let fr = headers(&[("accept-language", "fr")]);
        c.put(URL, &en, t, ok(&[("vary", "Accept-Language")], "hello"));
        assert_eq!(c.get(URL, &en, t).unwrap().body, b"hello");
        assert!(c.get(URL, &fr, t).is_none());
        for refused in [
            ("vary", "*"),
            ("cache-control", "no-store"),
            ("cache-control", "private, no-cache"),
            ("cache-control", "max-age=0"),
        ] {
            let c = cache();
            c.put(URL, &HeaderMap::new(), t, ok(&[refused], "x"));
            assert!(c.is_empty(), "{refused:?} was cached");
        }
        let c = cache();
        c.put(
            URL,
            &HeaderMap::new(),
            t,
            ok(&[("cache-control", "max-age=10"), ("age", "4")], "x"),
        );
        let later = |s| t.saturating_add(headroom_core::time::Duration::from_secs(s));
        assert!(c.get(URL, &HeaderMap::new(), later(5)).is_some());
        assert!(
            c.get(URL, &HeaderMap::new(), later(6)).is_none(),
            "max-age less Age bounds it"
        );
        let c = cache();
        c.put(
            URL,
            &HeaderMap::new(),
            t,
            ok(&[("cache-control", "max-age=3600")], "x"),
        );
        assert!(
            c.get(URL, &HeaderMap::new(), later(61)).is_none(),
            "never beyond the route's"
        );
        let c = cache();
        c.put(URL, &HeaderMap::new(), t, ok(&[], "x"));
        let bypass = headers(&[("cache-control", "no-cache")]);
        assert!(c.get(URL, &bypass, t).is_none());
        assert!(c.get(URL, &HeaderMap::new(), t).is_some());
    }
}
