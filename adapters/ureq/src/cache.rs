//! A bounded GET response cache with a time-to-live per route, as the seeds advise: lists change
//! rarely (cache long), analytics often (cache briefly or not at all). A hit costs no quota.
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

use crate::client::Response;
use headroom_core::time::Instant;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Cached 2xx GET responses keyed by URL, at most `capacity` of them.
#[derive(Debug)]
pub struct Cache {
    routes: Vec<(String, Duration)>,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, Response)>>,
}

impl Cache {
    /// An empty cache holding at most `capacity` responses; nothing is cached until a route is
    /// added.
    pub fn new(capacity: usize) -> Self {
        Cache {
            routes: Vec::new(),
            capacity,
            entries: Mutex::new(HashMap::new()),
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
        let path = url.parse::<ureq::http::Uri>().ok()?.path().to_string();
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Response)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, url: &str, now: Instant) -> Option<Response> {
        let mut entries = self.lock();
        match entries.get(url) {
            Some((expires, r)) if *expires > now => Some(r.clone()),
            Some(_) => {
                entries.remove(url);
                None
            }
            None => None,
        }
    }

    pub(crate) fn put(&self, url: &str, now: Instant, response: &Response) {
        let Some(ttl) = self.ttl_for(url) else { return };
        if self.capacity == 0
            || response
                .header("cache-control")
                .is_some_and(|v| v.contains("no-store"))
        {
            return;
        }
        let mut entries = self.lock();
        entries.retain(|_, (expires, _)| *expires > now);
        if entries.len() >= self.capacity && !entries.contains_key(url) {
            // Full of live entries: drop the one that expires first.
            let first = entries
                .iter()
                .min_by_key(|(_, (e, _))| *e)
                .map(|(k, _)| k.clone());
            if let Some(k) = first {
                entries.remove(&k);
            }
        }
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let expires = now.saturating_add(headroom_core::time::Duration::from_millis(ms));
        entries.insert(url.to_string(), (expires, response.clone()));
    }
}
