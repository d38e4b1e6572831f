//! One response reduced to facts: its policies, its `Retry-After`, the fields it ignored.
//!
//! ```
//! use headroom_core::{Duration, Observation, Response};
//! let headers = [
//!     ("RateLimit-Policy", &br#""minute";q=60;w=60, "day";q=1000;w=86400"#[..]),
//!     ("RateLimit", br#""minute";r=0;t=12, "day";r=913;t=43120"#),
//!     ("Retry-After", b"12"),
//! ];
//! let mut scratch = [0u8; 256];
//! let obs: Observation = Observation::of(&Response::new(429, headers), &mut scratch);
//! let minute = &obs.policies()[0];
//! assert_eq!(minute.name(), Some("minute"));
//! assert_eq!((minute.quota(), minute.remaining()), (Some(60), Some(0)));
//! assert_eq!(obs.retry_after(), Some(Duration::from_secs(12)));
//! ```
//!
//! On a device, one `Observation` can be reused in place ([`Observation::parse`]), so the
//! result is never copied. Names are copied (at most [`NAME_CAP`] bytes; a longer one drops
//! its policy and counts in [`Observation::dropped`]) because a multi-line field is joined
//! into the caller's scratch buffer, which the next field reuses.

use crate::cost::Key;
use crate::header::{
    self, Fact, Field, Name, QuotaUnit, Reason, Reset, parse_http_date, parse_retry_after, trim_ows,
};
use crate::response::Response;
use crate::sf;
use crate::time::{Duration, UnixTime};
use heapless::{String, Vec};

/// The longest policy name kept, in bytes.
pub const NAME_CAP: usize = 32;

/// What a response says about one policy. Numbers saturate at `u32::MAX` (4,294,967,295: 136
/// years in seconds), which keeps a device's arithmetic in 32-bit registers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    name: Option<String<NAME_CAP>>,
    quota: Option<u32>,
    window_s: Option<u32>,
    remaining: Option<u32>,
    reset_s: Option<u32>,
    unit: QuotaUnit,
    /// `X-RateLimit-Used` (only the legacy feature reads it).
    #[cfg(feature = "legacy")]
    used: Option<u32>,
    extra: bool,
    partition_key: Key,
}

impl Policy {
    /// The [`Key`] of the partition this policy belongs to: its `pk`, GitHub's
    /// `x-ratelimit-resource`, or Discord's bucket; `None` when the server named none (then
    /// the policy is the request's: see [`crate::Limiter::observe`]). A `pk` that every policy
    /// of the response carries names the caller's partition, not a sub-limit: `None` (as
    /// express-rate-limit sends the client's key). Always `None` without the `partitions`
    /// feature.
    pub fn partition_key(&self) -> Option<Key> {
        (!self.partition_key.is_identity()).then_some(self.partition_key)
    }

    /// The policy's name; `None` for the unnamed policy of older drafts and legacy headers.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Quota units per window.
    pub const fn quota(&self) -> Option<u32> {
        self.quota
    }

    /// The window's length.
    pub fn window(&self) -> Option<Duration> {
        self.window_s.map(|s| Duration::from_secs(s.into()))
    }

    /// Quota units left.
    pub const fn remaining(&self) -> Option<u32> {
        self.remaining
    }

    /// Time from the response until more quota is available.
    pub fn reset(&self) -> Option<Duration> {
        self.reset_s.map(|s| Duration::from_secs(s.into()))
    }

    /// What the quota counts.
    pub const fn unit(&self) -> QuotaUnit {
        self.unit
    }

    pub(crate) const fn window_s(&self) -> Option<u32> {
        self.window_s
    }

    pub(crate) const fn reset_s(&self) -> Option<u32> {
        self.reset_s
    }

    /// What the limiter matches this policy by across responses: its name's hash; for an
    /// unnamed policy whose window is known, the window's length (servers with stacked unnamed
    /// limiters, such as express-rate-limit before draft-8, describe a different one on
    /// different responses); else 0.
    pub(crate) fn key(&self) -> u16 {
        match (self.name.as_deref(), self.window_s) {
            (Some(n), _) => name_hash(n.bytes()),
            // A NUL prefix keeps these apart from any real name. (Only the pre-standard
            // forms make unnamed policies.)
            (None, Some(w)) if cfg!(feature = "legacy") => {
                name_hash([0].into_iter().chain(w.to_le_bytes()))
            }
            (None, _) => 0,
        }
    }
}

/// FNV-1a over the bytes of a name, folded to 16 bits; never 0, which is reserved for
/// "unnamed". 16 bits keep a device's budgets small; two names of one identity that collide
/// share a budget, which only ever holds requests back.
pub(crate) fn name_hash(bytes: impl Iterator<Item = u8>) -> u16 {
    let h = bytes.fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    ((h >> 16) as u16 ^ h as u16).max(1)
}

/// A field that was present but ignored, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ignored {
    /// Which field.
    pub field: Field,
    /// Why.
    pub reason: Reason,
}

/// Where the retry delay came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RetrySource {
    /// The `Retry-After` header.
    Header,
    /// The body's `retry_after`.
    Body,
}

/// A response reduced to facts. `P` bounds how many policies are kept.
#[derive(Clone, Debug, Default)]
pub struct Observation<const P: usize = 4> {
    status: Option<u16>,
    policies: Vec<Policy, P>,
    retry_after: Option<Duration>,
    retry_source: Option<RetrySource>,
    ignored: Vec<Ignored, 16>,
    from_cache: bool,
    dropped: u8,
    reference: Option<UnixTime>,
    /// Discord's bucket id or GitHub's resource, until the unnamed policy it names is
    /// complete.
    #[cfg(any(feature = "discord", feature = "github"))]
    bucket: Option<String<NAME_CAP>>,
    /// The body's `violated-policies`, as name hashes.
    violated: Vec<u16, { header::VIOLATED_CAP }>,
    /// Discord's body says every route is throttled.
    global: bool,
}

impl<const P: usize> Observation<P> {
    /// No response yet: no status, no policies, nothing to wait for.
    pub const fn new() -> Self {
        Observation {
            status: None,
            policies: Vec::new(),
            retry_after: None,
            retry_source: None,
            ignored: Vec::new(),
            from_cache: false,
            dropped: 0,
            reference: None,
            #[cfg(any(feature = "discord", feature = "github"))]
            bucket: None,
            violated: Vec::new(),
            global: false,
        }
    }

    /// Reduces `response` to facts (see [`Observation::parse`]).
    pub fn of<'h, H>(response: &Response<'_, H>, scratch: &mut [u8]) -> Self
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        let mut obs = Self::new();
        obs.parse(response, scratch);
        obs
    }

    /// Reduces `response` to facts, in place: what `self` held before is replaced. A field
    /// sent on several lines is joined in `scratch` (a field whose lines do not fit is ignored
    /// as `TooLong`; 512 bytes is ample for real servers).
    pub fn parse<'h, H>(&mut self, response: &Response<'_, H>, scratch: &mut [u8])
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        self.clear(response.status);
        let headers = &response.headers;
        let now = response.received_at;
        // One pass finds the fields this build reads, and those sent on several lines (only
        // those are looked up again, to be joined): each name is matched twice at most.
        let (mut seen, mut repeated) = ([0u32; header::READ_WORDS], [0u32; header::READ_WORDS]);
        let (mut date, mut age) = (None, None);
        for (name, line) in headers.clone() {
            let Some((index, field)) = Field::read_index(name) else {
                continue;
            };
            let (word, bit) = (index / 32, 1u32 << (index % 32));
            let (Some(s), Some(r)) = (seen.get_mut(word), repeated.get_mut(word)) else {
                continue;
            };
            *r |= *s & bit;
            *s |= bit;
            let repeat = *r & bit != 0;
            match field {
                Field::Date => date = Some((line, repeat)),
                Field::Age => age = Some((line, repeat)),
                _ => {}
            }
        }
        let date = date.map(|(line, repeat)| {
            let v = joined(headers, Field::Date, line, repeat, scratch)?;
            parse_http_date(v, now).ok_or(Reason::NotADate)
        });
        self.note(Field::Date, date.unwrap_or(Ok(UnixTime::from_secs(0))));
        self.reference = date.and_then(Result::ok).or(now);
        self.from_cache = age
            .and_then(|(line, repeat)| {
                let v = joined(headers, Field::Age, line, repeat, scratch).ok()?;
                self::age(v).ok()
            })
            .is_some_and(|a| a > 0);

        // Each field is read at its first line (with the others joined to it): its bit in
        // `seen` is cleared once read.
        for (name, line) in headers.clone() {
            let Some((index, field)) = Field::read_index(name) else {
                continue;
            };
            let (word, bit) = (index / 32, 1u32 << (index % 32));
            let (Some(s), Some(r)) = (seen.get_mut(word), repeated.get(word)) else {
                continue;
            };
            if *s & bit == 0 || matches!(field, Field::Date | Field::Age) {
                continue;
            }
            *s &= !bit;
            if self.from_cache && field.is_rate_limit() {
                continue;
            }
            let result = joined(headers, field, line, r & bit != 0, scratch)
                .and_then(|v| self.read_field(field, v));
            self.note(field, result);
        }
        if let Some(body) = response.body.and_then(header::body_facts) {
            if let (None, Some(wait)) = (self.retry_after, body.retry_after) {
                self.retry_after = Some(wait);
                self.retry_source = Some(RetrySource::Body);
            }
            self.global = body.global;
            self.violated = body.violated;
        }
        self.finish_used();
    }

    /// Forgets every fact, field by field (assigning a fresh value would build it on the
    /// stack and copy it: a device's flash would hold a block copy for it).
    fn clear(&mut self, status: Option<u16>) {
        self.status = status;
        self.policies.clear();
        self.retry_after = None;
        self.retry_source = None;
        self.ignored.clear();
        self.from_cache = false;
        self.dropped = 0;
        self.reference = None;
        #[cfg(any(feature = "discord", feature = "github"))]
        {
            self.bucket = None;
        }
        self.violated.clear();
        self.global = false;
    }

    /// The status code, if known.
    pub const fn status(&self) -> Option<u16> {
        self.status
    }

    /// Policies in order of first appearance; one entry per name, one for the unnamed policy.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The wait the server asked for: `Retry-After` (seconds or HTTP-date), else the body's
    /// `retry_after`.
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Which of the two gave [`Observation::retry_after`].
    ///
    /// (A response with both `Retry-After` and `retry-after-ms` waits the longer: never
    /// early.)
    pub const fn retry_source(&self) -> Option<RetrySource> {
        self.retry_source
    }

    /// Fields present but malformed, in order of appearance.
    pub fn ignored(&self) -> &[Ignored] {
        &self.ignored
    }

    /// `Age` > 0: served from a cache, so its RateLimit fields were ignored (as the draft says).
    pub const fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// Policies that did not fit in `P` or had names longer than [`NAME_CAP`].
    pub const fn dropped(&self) -> u8 {
        self.dropped
    }

    /// Whether the response refuses for rate: a 429; a 413 or 503 (with `Retry-After`, a
    /// pause); with the `github` feature, GitHub's 403 with `retry-after` or a policy at 0.
    pub fn throttled(&self) -> bool {
        match self.status {
            Some(413 | 429 | 503) => true,
            #[cfg(feature = "github")]
            Some(403) => {
                self.retry_after.is_some() || self.policies.iter().any(|p| p.remaining == Some(0))
            }
            _ => false,
        }
    }

    /// A throttled response's body named the identity as a whole (Discord's `global`): its
    /// pause holds back every key.
    pub const fn global(&self) -> bool {
        self.global
    }

    /// The policies a problem details body names in `violated-policies`, as name hashes.
    pub(crate) fn violated(&self) -> &[u16] {
        &self.violated
    }

    /// The response's time: its `Date` header, else the caller's clock.
    pub const fn reference(&self) -> Option<UnixTime> {
        self.reference
    }

    /// How long to wait before the next request given this response alone: `Retry-After`
    /// when present; else the longest reset among exhausted policies; else, on a 429,
    /// `first_backoff` (the first un-jittered backoff delay); else nothing.
    pub fn wait(&self, first_backoff: Duration) -> Duration {
        if let Some(wait) = self.retry_after() {
            return wait;
        }
        let exhausted = self.policies.iter().filter(|p| p.remaining == Some(0));
        if let Some(reset) = exhausted.filter_map(Policy::reset).max() {
            return reset;
        }
        if self.status == Some(429) {
            first_backoff
        } else {
            Duration::ZERO
        }
    }

    /// A header asks for `wait`: the longest of the waits asked for is kept (only OpenAI's
    /// `retry-after-ms` can ask twice).
    fn wait_at_least(&mut self, wait: Duration) {
        #[cfg(feature = "openai")]
        let wait = self.retry_after.map_or(wait, |w| w.max(wait));
        self.retry_after = Some(wait);
        self.retry_source = Some(RetrySource::Header);
    }

    fn note<T>(&mut self, field: Field, result: Result<T, Reason>) {
        if let Err(reason) = result {
            // 16 slots hold every field this library reads once; a repeat is not recorded twice.
            let _ = self.ignored.push(Ignored { field, reason });
        }
    }

    fn read_field(&mut self, field: Field, value: &[u8]) -> Result<(), Reason> {
        let reference = self.reference;
        match field {
            Field::RetryAfter => {
                let ra = parse_retry_after(value, reference)?;
                self.wait_at_least(ra.delay(reference).ok_or(Reason::NoReferenceTime)?);
                Ok(())
            }
            #[cfg(feature = "anthropic")]
            Field::AnthropicRequestsLimit
            | Field::AnthropicRequestsRemaining
            | Field::AnthropicRequestsReset
            | Field::AnthropicTokensLimit
            | Field::AnthropicTokensRemaining
            | Field::AnthropicTokensReset
            | Field::AnthropicInputTokensLimit
            | Field::AnthropicInputTokensRemaining
            | Field::AnthropicInputTokensReset
            | Field::AnthropicOutputTokensLimit
            | Field::AnthropicOutputTokensRemaining
            | Field::AnthropicOutputTokensReset => {
                use header::{AnthropicPolicy as P, Statement as K};
                let (policy, kind) = field.anthropic().ok_or(Reason::Empty)?;
                let policy =
                    [P::Requests, P::Tokens, P::InputTokens, P::OutputTokens][usize::from(policy)];
                let kind = [K::Limit, K::Remaining, K::Reset][usize::from(kind)];
                let fact = header::anthropic_field(policy, kind, value)?;
                let mut unresolved = Ok(());
                self.merge_resolved(&fact, None, &mut unresolved);
                unresolved
            }
            #[cfg(feature = "discord")]
            Field::DiscordResetAfter => self.merge_relative(header::reset_after(value)?),
            #[cfg(feature = "discord")]
            Field::DiscordBucket => self.name_unnamed(header::visible_name(value)?),
            #[cfg(feature = "github")]
            Field::GitHubResource => self.name_unnamed(header::visible_name(value)?),
            #[cfg(feature = "gitlab")]
            Field::GitLabResetTime => {
                let at = parse_http_date(value, reference).ok_or(Reason::NotADate)?;
                let fact = Fact {
                    reset: Some(Reset::At(at)),
                    ..Fact::unnamed()
                };
                let mut unresolved = Ok(());
                self.merge_resolved(&fact, None, &mut unresolved);
                unresolved
            }
            #[cfg(feature = "shopify")]
            Field::ShopifyCallLimit => self.merge_relative(header::call_limit(value)?),
            #[cfg(feature = "openai")]
            Field::RetryAfterMs => {
                let ms = header::parse_digits(trim_ows(value)).ok_or(Reason::NotANumber)?;
                self.wait_at_least(Duration::from_millis(ms));
                Ok(())
            }
            #[cfg(feature = "openai")]
            Field::OpenAiLimitRequests
            | Field::OpenAiLimitTokens
            | Field::OpenAiRemainingRequests
            | Field::OpenAiRemainingTokens
            | Field::OpenAiResetRequests
            | Field::OpenAiResetTokens => {
                use header::Statement::{Limit, Remaining, Reset as ResetIn};
                let (kind, tokens) = match field {
                    Field::OpenAiLimitRequests => (Limit, false),
                    Field::OpenAiLimitTokens => (Limit, true),
                    Field::OpenAiRemainingRequests => (Remaining, false),
                    Field::OpenAiRemainingTokens => (Remaining, true),
                    Field::OpenAiResetRequests => (ResetIn, false),
                    _ => (ResetIn, true),
                };
                self.merge_relative(header::openai_field(kind, tokens, value)?)
            }
            // A member dropped for an invalid parameter marks its field as ignored in part.
            Field::RateLimitPolicy => {
                let mut flawed = Ok(());
                header::policy_field(value, |f| match f.invalid {
                    Some(reason) => flawed = Err(reason),
                    None => self.merge(f, None, None),
                })?;
                flawed
            }
            // Only a lone fact (the -07 Dictionary's, a legacy reset) can carry a reset that
            // needs a reference time, so a field whose reset cannot be resolved merges nothing.
            Field::RateLimit => {
                let mut flawed = Ok(());
                header::ratelimit_field(value, |f| match f.invalid {
                    Some(reason) => flawed = Err(reason),
                    None => self.merge_resolved(f, None, &mut flawed),
                })?;
                flawed
            }
            #[cfg(not(feature = "legacy"))]
            _ => Ok(()), // `Field::from_name` recognises no other field
            #[cfg(feature = "legacy")]
            _ => {
                let kind = field.legacy_kind().ok_or(Reason::Empty)?;
                let mut unresolved = Ok(());
                header::legacy_field(kind, value, |f, used| {
                    self.merge_resolved(&f, used, &mut unresolved)
                })?;
                unresolved
            }
        }
    }

    /// Merges `fact` when its reset resolves, else records why in `unresolved`.
    fn merge_resolved(
        &mut self,
        fact: &Fact<'_>,
        used: Option<u32>,
        unresolved: &mut Result<(), Reason>,
    ) {
        match resolve(fact.reset, self.reference) {
            Ok(reset_s) => self.merge(fact, used, reset_s),
            Err(e) => *unresolved = Err(e),
        }
    }

    /// Merges a vendor's `fact`, whose reset (if any) is relative to the response.
    #[cfg(any(feature = "openai", feature = "discord", feature = "shopify"))]
    fn merge_relative(&mut self, fact: Fact<'_>) -> Result<(), Reason> {
        let reset_s = resolve(fact.reset, None)?;
        self.merge(&fact, None, reset_s);
        Ok(())
    }

    /// Merges `fact`, whose reset resolved to `reset_s` seconds from the response.
    fn merge(&mut self, fact: &Fact<'_>, used: Option<u32>, reset_s: Option<u32>) {
        let Some(index) = self.find_or_insert(fact) else {
            self.dropped = self.dropped.saturating_add(1);
            return;
        };
        let Some(p) = self.policies.get_mut(index) else {
            return;
        };
        let keep = |old: &mut Option<u32>, new: Option<u32>| {
            if new.is_some() {
                *old = new;
            }
        };
        keep(&mut p.quota, fact.quota);
        keep(&mut p.window_s, fact.window_s);
        keep(&mut p.remaining, fact.remaining);
        keep(&mut p.reset_s, reset_s);
        #[cfg(feature = "legacy")]
        keep(&mut p.used, used);
        #[cfg(not(feature = "legacy"))]
        let _ = used;
        if fact.quota.is_some() {
            p.unit = fact.unit;
        }
        if crate::cost::KEYED && !fact.partition.is_identity() {
            p.partition_key = fact.partition;
        }
    }

    /// Named facts match by name. Unnamed facts all describe one policy, except the extra
    /// `quota;w=…` windows of list forms, which join it only when they agree with its quota.
    fn find_or_insert(&mut self, fact: &Fact<'_>) -> Option<usize> {
        let found = match fact.name {
            #[cfg(feature = "legacy")]
            Name::Unnamed => self.find_unnamed(fact),
            // Only the pre-standard forms (the `legacy` feature) make unnamed facts.
            #[cfg(not(feature = "legacy"))]
            Name::Unnamed => return None,
            named => self.policies.iter().position(|p| {
                p.name
                    .as_deref()
                    .is_some_and(|n| n.bytes().eq(named.bytes()))
            }),
        };
        if found.is_some() {
            return found;
        }
        // Built in place: a policy made on the stack and pushed is a block copy on a device.
        self.policies.push(Policy::default()).ok()?;
        let index = self.policies.len() - 1;
        let policy = self.policies.get_mut(index)?;
        policy.extra = fact.extra;
        if !matches!(fact.name, Name::Unnamed) {
            let name = policy.name.insert(String::new());
            for b in fact.name.bytes() {
                if name.push(char::from(b)).is_err() {
                    self.policies.pop();
                    return None;
                }
            }
        }
        Some(index)
    }

    #[cfg(feature = "legacy")]
    fn find_unnamed(&self, fact: &Fact<'_>) -> Option<usize> {
        let mut unnamed = self
            .policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name.is_none());
        let compatible = |p: &Policy| {
            let q_ok = fact.quota.is_none() || p.quota.is_none() || p.quota == fact.quota;
            let w_ok =
                fact.window_s.is_none() || p.window_s.is_none() || p.window_s == fact.window_s;
            q_ok && w_ok
        };
        if fact.extra {
            return unnamed.find(|(_, p)| compatible(p)).map(|(i, _)| i);
        }
        // A limit/remaining/reset fact: prefer the unnamed policy with the same quota, else the
        // first unnamed one that is not merely an extra window.
        let alone = unnamed.clone().count() == 1;
        unnamed
            .clone()
            .find(|(_, p)| fact.quota.is_some() && p.quota == fact.quota)
            .or_else(|| unnamed.find(|(_, p)| !p.extra || alone))
            .map(|(i, _)| i)
    }

    /// Names the response's unnamed policy `name` (Discord's bucket, GitHub's resource), and
    /// makes it the policy's partition, once its fields are read: the name is kept until then.
    #[cfg(any(feature = "discord", feature = "github"))]
    fn name_unnamed(&mut self, name: &[u8]) -> Result<(), Reason> {
        let mut s = String::new();
        for &b in name {
            s.push(char::from(b)).map_err(|_| Reason::TooLong)?;
        }
        self.bucket = Some(s);
        Ok(())
    }

    /// `X-RateLimit-Used` gives remaining = limit − used when no remaining was sent.
    fn finish_used(&mut self) {
        #[cfg(feature = "legacy")]
        for p in self.policies.iter_mut() {
            if let (None, Some(q), Some(u)) = (p.remaining, p.quota, p.used) {
                p.remaining = Some(q.saturating_sub(u));
            }
        }
        // One `pk` on every policy names the caller's partition (express-rate-limit sends the
        // client's key): no sub-limit to keep apart.
        let first = self.policies.first().map(|p| p.partition_key);
        if crate::cost::KEYED && self.policies.iter().all(|p| Some(p.partition_key) == first) {
            self.policies
                .iter_mut()
                .for_each(|p| p.partition_key = Key::IDENTITY);
        }
        #[cfg(any(feature = "discord", feature = "github"))]
        if let Some(bucket) = self.bucket.take() {
            let mut unnamed = self.policies.iter_mut().filter(|p| p.name.is_none());
            if let (Some(p), None) = (unnamed.next(), unnamed.next()) {
                if crate::cost::KEYED {
                    p.partition_key = Key::named(&bucket);
                }
                p.name = Some(bucket);
            }
        }
    }
}

fn resolve(reset: Option<Reset>, reference: Option<UnixTime>) -> Result<Option<u32>, Reason> {
    reset
        .map(|r| r.secs_from(reference).ok_or(Reason::NoReferenceTime))
        .transpose()
}

fn age(v: &[u8]) -> Result<u64, Reason> {
    header::parse_digits(trim_ows(v)).ok_or(Reason::NotANumber)
}

/// A field's value: its one `line`, or when it was sent on several (`repeated`), all of them
/// joined in `scratch` (`TooLong` when they do not fit).
fn joined<'a, 'h: 'a, I>(
    headers: &I,
    field: Field,
    line: &'h [u8],
    repeated: bool,
    scratch: &'a mut [u8],
) -> Result<&'a [u8], Reason>
where
    I: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
{
    if !repeated {
        return Ok(line);
    }
    let lines = headers
        .clone()
        .into_iter()
        .filter(move |(n, _)| Field::from_name(n) == Some(field))
        .map(|(_, v)| v);
    sf::join_lines(lines, scratch).map_err(|_| Reason::TooLong)
}
