//! URLs fit for logs and errors: the userinfo (`user:password@`) is never shown.

use std::borrow::Cow;

/// `url` with its userinfo replaced by `***`; unchanged when it has none.
///
/// ```
/// use headroom_std::redact_url;
/// assert_eq!(redact_url("https://me:s3cret@api.example/v1?q=1"), "https://***@api.example/v1?q=1");
/// assert_eq!(redact_url("https://api.example/a@b"), "https://api.example/a@b");
/// ```
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}***{}", &url[..scheme_end], &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn userinfo_never_survives() {
        for url in [
            "http://user:pw@h/",
            "http://pw@h:8080",
            "https://a:b@c@h/x@y",
            "redis://:pw@127.0.0.1:6379/0",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("pw") && !shown.contains("a:b"), "{shown}");
            assert!(
                shown.contains("***@h") || shown.contains("***@127"),
                "{shown}"
            );
        }
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
