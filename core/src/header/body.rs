//! A throttled response's JSON body: `retry_after` (`{"error": "...", "retry_after": 12}`),
//! Discord's `global`, and a problem details object's `violated-policies` (draft -11's
//! quota-exceeded problem type, `application/problem+json`).

use crate::time::Duration;

/// The most violated policies kept from one body.
pub(crate) const VIOLATED_CAP: usize = 2;

/// What a throttled response's body says.
#[derive(Default)]
pub(crate) struct BodyFacts {
    /// `retry_after`, in seconds rounded up.
    pub retry_after: Option<Duration>,
    /// Discord's `global: true`: every route is throttled.
    pub global: bool,
    /// The hashes of the names in `violated-policies`.
    pub violated: heapless::Vec<u16, VIOLATED_CAP>,
}

/// Reads `body` if it is a JSON object; other members are skipped.
#[cfg(feature = "json")]
pub(crate) fn body_facts(body: &[u8]) -> Option<BodyFacts> {
    #[derive(serde::Deserialize)]
    struct Throttled {
        retry_after: Option<f64>,
        #[cfg(feature = "discord")]
        global: Option<bool>,
        #[serde(rename = "violated-policies")]
        violated: Option<Violated>,
    }
    let (parsed, _) = serde_json_core::from_slice::<Throttled>(body).ok()?;
    let mut facts = BodyFacts {
        // `as` saturates for huge values; NaN cannot come out of JSON.
        retry_after: parsed.retry_after.filter(|&s| s >= 0.0).map(|secs| {
            let whole = secs as u64;
            Duration::from_secs(whole.saturating_add(u64::from(secs > whole as f64)))
        }),
        ..BodyFacts::default()
    };
    #[cfg(feature = "discord")]
    {
        facts.global = parsed.global == Some(true);
    }
    if let Some(Violated(names)) = parsed.violated {
        facts.violated = names;
    }
    Some(facts)
}

/// `violated-policies`: the first [`VIOLATED_CAP`] names' hashes, the rest skipped (so a long
/// list loses nothing else of the body).
#[cfg(feature = "json")]
struct Violated(heapless::Vec<u16, VIOLATED_CAP>);

#[cfg(feature = "json")]
impl<'de> serde::Deserialize<'de> for Violated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = Violated;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a list of policy names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Violated, A::Error> {
                let mut names = heapless::Vec::new();
                while let Some(name) = seq.next_element::<&'de str>()? {
                    let _ = names.push(crate::observation::name_hash(name.bytes()));
                }
                Ok(Violated(names))
            }
        }
        d.deserialize_seq(Names)
    }
}

/// Without the `json` feature the body is not read.
#[cfg(not(feature = "json"))]
pub(crate) fn body_facts(_body: &[u8]) -> Option<BodyFacts> {
    None
}

/// The wait in the body's `retry_after`, in seconds rounded up to whole ones; `None` when the
/// body is not JSON, has no such member, or holds a negative or non-numeric value. Other
/// members are skipped.
///
/// ```
/// use headroom_core::{Duration, header::body_retry_after};
/// let secs = |s| Some(Duration::from_secs(s));
/// assert_eq!(body_retry_after(br#"{"error": "Too Many Requests", "retry_after": 12}"#), secs(12));
/// assert_eq!(body_retry_after(br#"{"retry_after": 0.2}"#), secs(1));
/// assert_eq!(body_retry_after(b"Too many requests, please try again later."), None);
/// ```
#[cfg(feature = "json")]
pub fn body_retry_after(body: &[u8]) -> Option<Duration> {
    body_facts(body)?.retry_after
}

/// Without the `json` feature the body is not read: always `None`.
#[cfg(not(feature = "json"))]
pub fn body_retry_after(_body: &[u8]) -> Option<Duration> {
    None
}
