//! Which budget a request is acquired for, by the longest configured path prefix.
//!
//! ```
//! use headroom_std::Routes;
//! use headroom_std::headroom_core::Key;
//! let routes = Routes::new().route("/search");
//! assert_eq!(routes.key_for("/search/code"), Key::named("/search"));
//! assert_eq!(routes.key_for("/users"), Key::named("/"));
//! assert_eq!(Routes::new().key_for("/users"), Key::IDENTITY);
//! ```

use headroom_core::{Cost, Key};

/// Path prefixes with limits of their own (GitHub's `/search`, a routed `pk` partition).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    prefixes: Vec<String>,
}

impl Routes {
    /// No routes: every request falls under every limit.
    pub fn new() -> Self {
        Routes::default()
    }

    /// Requests whose path starts with `path_prefix` (the longest configured prefix wins) are
    /// acquired for the key of that name ([`Key::named`]): the limits their responses
    /// describe hold back only them. Once a route is configured, requests on none are
    /// acquired for the key named `/`, so the routes' limits do not hold them back either.
    #[must_use]
    pub fn route(mut self, path_prefix: &str) -> Self {
        self.prefixes.push(path_prefix.to_string());
        self
    }

    /// The key a request for `path` is acquired for.
    pub fn key_for(&self, path: &str) -> Key {
        if self.prefixes.is_empty() {
            return Key::IDENTITY;
        }
        self.prefixes
            .iter()
            .filter(|r| path.starts_with(r.as_str()))
            .max_by_key(|r| r.len())
            .map_or(Key::named("/"), |r| Key::named(r))
    }

    /// What a request asks the limiter for: a [`Cost`] or [`Key`] in its `extensions` if the
    /// caller put one there, else one request and its `content_bytes`, for the key of its
    /// `path`'s route.
    pub fn ask(
        &self,
        extensions: &http::Extensions,
        path: &str,
        content_bytes: u64,
    ) -> (Cost, Key) {
        let bytes = u32::try_from(content_bytes).unwrap_or(u32::MAX);
        let cost = extensions
            .get::<Cost>()
            .copied()
            .unwrap_or(Cost::ONE.content_bytes(bytes));
        let key = extensions
            .get::<Key>()
            .copied()
            .unwrap_or_else(|| self.key_for(path));
        (cost, key)
    }
}
