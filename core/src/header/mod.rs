//! Rate-limit response headers: what each field says, without interpreting it against state.
//!
//! See [`crate::observation`] for one whole response reduced to policies and a wait.

#[cfg(feature = "anthropic")]
mod anthropic;
mod body;
mod date;
#[cfg(feature = "discord")]
mod discord;
#[cfg(feature = "openai")]
mod openai;
mod ratelimit;
mod retry_after;
#[cfg(feature = "shopify")]
mod shopify;
#[cfg(any(feature = "openai", feature = "anthropic"))]
mod vendor;

#[cfg(feature = "anthropic")]
pub(crate) use anthropic::{AnthropicPolicy, anthropic_field};
pub use body::body_retry_after;
pub(crate) use body::{VIOLATED_CAP, body_facts};
pub use date::parse_http_date;
#[cfg(feature = "discord")]
pub(crate) use discord::reset_after;
#[cfg(feature = "openai")]
pub(crate) use openai::openai_field;
pub(crate) use ratelimit::LegacyKind;
pub use ratelimit::QuotaUnit;
#[cfg(feature = "legacy")]
pub(crate) use ratelimit::legacy_field;
pub(crate) use ratelimit::{Fact, Name, Reset, policy_field, ratelimit_field};
pub use retry_after::{RetryAfter, parse_retry_after};
#[cfg(feature = "shopify")]
pub(crate) use shopify::call_limit;
#[cfg(any(feature = "openai", feature = "anthropic"))]
pub(crate) use vendor::Statement;

pub(crate) use date::trim_ows;

/// `1*DIGIT` as a number, saturating at `u64::MAX`: `None` for an empty value or any byte that
/// is not a digit (no sign, no space, no fraction). The one digit reader of the crate and its
/// adapters: `Retry-After`'s delay-seconds, `Age`, a device's `Content-Length`.
///
/// ```
/// use headroom_core::header::parse_digits;
/// assert_eq!(parse_digits(b"120"), Some(120));
/// assert_eq!(parse_digits(b"99999999999999999999999"), Some(u64::MAX));
/// assert_eq!(parse_digits(b"-5"), None);
/// assert_eq!(parse_digits(b""), None);
/// ```
pub fn parse_digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(u64::from(b - b'0')))
    })
}

/// `1*DIGIT [ "." 1*DIGIT ]` as whole seconds rounded up, saturating: `None` for anything else
/// (no sign, no space, no exponent). `Retry-After`'s decimals (Shopify's `2.0`) and Discord's
/// `X-RateLimit-Reset-After: 64.57`.
pub(crate) fn ceil_decimal(v: &[u8]) -> Option<u64> {
    let (whole, fraction) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (v.get(..dot)?, Some(v.get(dot + 1..)?)),
        None => (v, None),
    };
    let partial = match fraction {
        Some(f) => parse_digits(f)? > 0,
        None => false,
    };
    Some(parse_digits(whole)?.saturating_add(u64::from(partial)))
}

use crate::sf::ErrorKind;

/// Calls `f(member, reason)` for each member of a `RateLimit` or `RateLimit-Policy` value that
/// is dropped: its name as sent (`""` when unnamed) and why. The whole field's failure is the
/// `Err`; other fields have no members to drop.
///
/// ```
/// use headroom_core::header::{Field, member_problems};
/// let mut problems = Vec::new();
/// member_problems(Field::RateLimit, br#""minute";r=5.0;t=1, "day";r=9"#, |m, why| {
///     problems.push(format!("{m}: {why}"))
/// })?;
/// assert_eq!(problems, ["minute: r is not an integer"]);
/// # Ok::<(), headroom_core::header::Reason>(())
/// ```
pub fn member_problems(
    field: Field,
    value: &[u8],
    mut f: impl FnMut(&str, Reason),
) -> Result<(), Reason> {
    let mut each = |fact: &Fact<'_>| {
        if let Some(reason) = fact.invalid {
            f(core::str::from_utf8(fact.name.raw()).unwrap_or(""), reason);
        }
    };
    match field {
        Field::RateLimitPolicy => policy_field(value, &mut each),
        Field::RateLimit => ratelimit_field(value, &mut each),
        _ => Ok(()),
    }
}

/// Why a field was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Reason {
    /// Structured Field syntax error.
    Syntax(ErrorKind),
    /// The field is empty.
    Empty,
    /// A number was required.
    NotANumber,
    /// Neither delay-seconds nor an HTTP-date.
    NotSecondsOrDate,
    /// Not an HTTP-date.
    NotADate,
    /// A time is given as a date but the response has no `Date` and the caller no clock.
    NoReferenceTime,
    /// The field's lines do not fit in the scratch buffer.
    TooLong,
    /// Not a duration such as `1s`, `6m0s` or `20ms`.
    NotADuration,
    /// Not a name a policy can carry (control bytes, spaces).
    NotAName,
    /// A member of the field was dropped: its parameter `param` is invalid, or missing where
    /// required. The field's other members are read.
    Parameter {
        /// Which parameter.
        param: Param,
        /// What is wrong with it.
        flaw: Flaw,
    },
}

/// A parameter of a `RateLimit` or `RateLimit-Policy` member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub enum Param {
    Q,
    W,
    R,
    T,
    Pk,
}

impl Param {
    /// The parameter's key as sent (`q`, `w`, `r`, `t`, `pk`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Param::Q => "q",
            Param::W => "w",
            Param::R => "r",
            Param::T => "t",
            Param::Pk => "pk",
        }
    }
}

/// What is wrong with a member's parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Flaw {
    /// Not an Integer (a Decimal such as `5.0`, a String).
    NotAnInteger,
    /// A negative Integer.
    Negative,
    /// 0 where only a positive Integer is valid (`w`).
    NotPositive,
    /// Required and absent (`q` of a policy).
    Missing,
    /// Not a Byte Sequence (`pk`).
    NotAByteSequence,
}

impl Flaw {
    /// A short lowercase description, for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Flaw::NotAnInteger => "is not an integer",
            Flaw::Negative => "is negative",
            Flaw::NotPositive => "is not positive",
            Flaw::Missing => "is missing",
            Flaw::NotAByteSequence => "is not a byte sequence",
        }
    }
}

impl Reason {
    /// A short lowercase description, for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Syntax(k) => k.as_str(),
            Reason::Empty => "empty field",
            Reason::NotANumber => "not a non-negative number",
            Reason::NotSecondsOrDate => "neither delay-seconds nor an HTTP-date",
            Reason::NotADate => "not an HTTP-date",
            Reason::NoReferenceTime => "a date needs the Date header or a clock",
            Reason::TooLong => "field lines too long to combine",
            Reason::NotADuration => "not a duration such as 1s, 6m0s or 20ms",
            Reason::NotAName => "not a name a policy can carry",
            Reason::Parameter { .. } => "a member's parameter is invalid",
        }
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Reason::Parameter { param, flaw } => {
                write!(f, "{} {}", param.as_str(), flaw.as_str())
            }
            _ => f.write_str(self.as_str()),
        }
    }
}

impl core::error::Error for Reason {}

/// Whether this build reads `field`: the legacy forms with `legacy`, OpenAI's with `openai`,
/// the current drafts' fields, `Retry-After`, `Date` and `Age` always.
const fn is_read(field: Field) -> bool {
    let legacy = field.legacy_kind().is_some();
    (!legacy || cfg!(feature = "legacy"))
        && (!field.is_openai() || cfg!(feature = "openai"))
        && (field.anthropic().is_none() || cfg!(feature = "anthropic"))
        && (!matches!(field, Field::DiscordResetAfter | Field::DiscordBucket)
            || cfg!(feature = "discord"))
        && (!matches!(field, Field::ShopifyCallLimit) || cfg!(feature = "shopify"))
        && (!matches!(field, Field::GitHubResource) || cfg!(feature = "github"))
        && (!matches!(field, Field::GitLabResetTime) || cfg!(feature = "gitlab"))
}

/// A value that can name a policy (Discord's bucket, GitHub's resource): a non-empty run of
/// visible ASCII.
#[cfg(any(feature = "discord", feature = "github"))]
pub(crate) fn visible_name(value: &[u8]) -> Result<&[u8], Reason> {
    let v = trim_ows(value);
    if v.is_empty() {
        return Err(Reason::Empty);
    }
    if v.iter().all(|b| b.is_ascii_graphic()) {
        Ok(v)
    } else {
        Err(Reason::NotAName)
    }
}

/// How many fields this build reads.
const READ_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < Field::ALL.len() {
        n += is_read(Field::ALL[i]) as usize;
        i += 1;
    }
    n
};

/// 32-bit words for a set of the fields this build reads (one on a device: a build that reads
/// fewer than 33 fields keeps its arithmetic in one register).
pub(crate) const READ_WORDS: usize = READ_COUNT.div_ceil(32);

/// Whether `name` is `lower` (a lowercase field name of the same length) in any case. Every
/// byte is compared, with no early exit, so the compiler can compare many bytes at a time.
fn lowercase_eq(lower: &[u8], name: &[u8]) -> bool {
    let differ = lower.iter().zip(name);
    differ.fold(0, |acc, (l, b)| acc | (l ^ b.to_ascii_lowercase())) == 0
}

/// The fields this build reads, with their names: filtered at compile time, so a device built
/// without `legacy` holds neither the other fields' names nor a test for them.
const READ: [(Field, &str); READ_COUNT] = {
    let mut read = [(Field::Date, ""); READ_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < Field::ALL.len() {
        let field = Field::ALL[i];
        if is_read(field) {
            read[n] = (field, field.name());
            n += 1;
        }
        i += 1;
    }
    read
};

/// The response fields this library reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)]
pub enum Field {
    RateLimitPolicy,
    RateLimit,
    RateLimitLimit,
    RateLimitRemaining,
    RateLimitReset,
    XRateLimitLimit,
    XRateLimitRemaining,
    XRateLimitReset,
    XRateLimitUsed,
    XRateLimitLimitTwitter,
    XRateLimitRemainingTwitter,
    XRateLimitResetTwitter,
    RetryAfter,
    Date,
    Age,
    OpenAiLimitRequests,
    OpenAiLimitTokens,
    OpenAiRemainingRequests,
    OpenAiRemainingTokens,
    OpenAiResetRequests,
    OpenAiResetTokens,
    RetryAfterMs,
    AnthropicRequestsLimit,
    AnthropicRequestsRemaining,
    AnthropicRequestsReset,
    AnthropicTokensLimit,
    AnthropicTokensRemaining,
    AnthropicTokensReset,
    AnthropicInputTokensLimit,
    AnthropicInputTokensRemaining,
    AnthropicInputTokensReset,
    AnthropicOutputTokensLimit,
    AnthropicOutputTokensRemaining,
    AnthropicOutputTokensReset,
    DiscordResetAfter,
    DiscordBucket,
    ShopifyCallLimit,
    GitHubResource,
    GitLabResetTime,
}

impl Field {
    /// Every field, in a fixed order.
    pub const ALL: [Field; 39] = [
        Field::RateLimitPolicy,
        Field::RateLimit,
        Field::RateLimitLimit,
        Field::RateLimitRemaining,
        Field::RateLimitReset,
        Field::XRateLimitLimit,
        Field::XRateLimitRemaining,
        Field::XRateLimitReset,
        Field::XRateLimitUsed,
        Field::XRateLimitLimitTwitter,
        Field::XRateLimitRemainingTwitter,
        Field::XRateLimitResetTwitter,
        Field::RetryAfter,
        Field::Date,
        Field::Age,
        Field::OpenAiLimitRequests,
        Field::OpenAiLimitTokens,
        Field::OpenAiRemainingRequests,
        Field::OpenAiRemainingTokens,
        Field::OpenAiResetRequests,
        Field::OpenAiResetTokens,
        Field::RetryAfterMs,
        Field::AnthropicRequestsLimit,
        Field::AnthropicRequestsRemaining,
        Field::AnthropicRequestsReset,
        Field::AnthropicTokensLimit,
        Field::AnthropicTokensRemaining,
        Field::AnthropicTokensReset,
        Field::AnthropicInputTokensLimit,
        Field::AnthropicInputTokensRemaining,
        Field::AnthropicInputTokensReset,
        Field::AnthropicOutputTokensLimit,
        Field::AnthropicOutputTokensRemaining,
        Field::AnthropicOutputTokensReset,
        Field::DiscordResetAfter,
        Field::DiscordBucket,
        Field::ShopifyCallLimit,
        Field::GitHubResource,
        Field::GitLabResetTime,
    ];

    /// The field's name in lowercase.
    pub const fn name(self) -> &'static str {
        match self {
            Field::RateLimitPolicy => "ratelimit-policy",
            Field::RateLimit => "ratelimit",
            Field::RateLimitLimit => "ratelimit-limit",
            Field::RateLimitRemaining => "ratelimit-remaining",
            Field::RateLimitReset => "ratelimit-reset",
            Field::XRateLimitLimit => "x-ratelimit-limit",
            Field::XRateLimitRemaining => "x-ratelimit-remaining",
            Field::XRateLimitReset => "x-ratelimit-reset",
            Field::XRateLimitUsed => "x-ratelimit-used",
            Field::XRateLimitLimitTwitter => "x-rate-limit-limit",
            Field::XRateLimitRemainingTwitter => "x-rate-limit-remaining",
            Field::XRateLimitResetTwitter => "x-rate-limit-reset",
            Field::RetryAfter => "retry-after",
            Field::Date => "date",
            Field::Age => "age",
            Field::OpenAiLimitRequests => "x-ratelimit-limit-requests",
            Field::OpenAiLimitTokens => "x-ratelimit-limit-tokens",
            Field::OpenAiRemainingRequests => "x-ratelimit-remaining-requests",
            Field::OpenAiRemainingTokens => "x-ratelimit-remaining-tokens",
            Field::OpenAiResetRequests => "x-ratelimit-reset-requests",
            Field::OpenAiResetTokens => "x-ratelimit-reset-tokens",
            Field::RetryAfterMs => "retry-after-ms",
            Field::AnthropicRequestsLimit => "anthropic-ratelimit-requests-limit",
            Field::AnthropicRequestsRemaining => "anthropic-ratelimit-requests-remaining",
            Field::AnthropicRequestsReset => "anthropic-ratelimit-requests-reset",
            Field::AnthropicTokensLimit => "anthropic-ratelimit-tokens-limit",
            Field::AnthropicTokensRemaining => "anthropic-ratelimit-tokens-remaining",
            Field::AnthropicTokensReset => "anthropic-ratelimit-tokens-reset",
            Field::AnthropicInputTokensLimit => "anthropic-ratelimit-input-tokens-limit",
            Field::AnthropicInputTokensRemaining => "anthropic-ratelimit-input-tokens-remaining",
            Field::AnthropicInputTokensReset => "anthropic-ratelimit-input-tokens-reset",
            Field::AnthropicOutputTokensLimit => "anthropic-ratelimit-output-tokens-limit",
            Field::AnthropicOutputTokensRemaining => "anthropic-ratelimit-output-tokens-remaining",
            Field::AnthropicOutputTokensReset => "anthropic-ratelimit-output-tokens-reset",
            Field::DiscordResetAfter => "x-ratelimit-reset-after",
            Field::DiscordBucket => "x-ratelimit-bucket",
            Field::ShopifyCallLimit => "x-shopify-shop-api-call-limit",
            Field::GitHubResource => "x-ratelimit-resource",
            Field::GitLabResetTime => "ratelimit-resettime",
        }
    }

    /// Recognises a field name, case-insensitively: any of [`Field::ALL`] this build reads (the
    /// legacy forms with the `legacy` feature, OpenAI's with `openai`; the current drafts'
    /// fields, `Retry-After`, `Date` and `Age` always).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::read_index(name).map(|(_, f)| f)
    }

    /// The field named `name`, and its place among the fields this build reads (below
    /// [`READ_WORDS`] × 32).
    pub(crate) fn read_index(name: &str) -> Option<(usize, Field)> {
        let name = name.trim_ascii().as_bytes();
        READ.iter()
            .position(|(_, n)| n.len() == name.len() && lowercase_eq(n.as_bytes(), name))
            .and_then(|i| Some((i, READ.get(i)?.0)))
    }

    /// The legacy number this field carries, if it is one of the ≤ -06 or `X-` fields.
    pub(crate) const fn legacy_kind(self) -> Option<LegacyKind> {
        match self {
            Field::RateLimitLimit | Field::XRateLimitLimit | Field::XRateLimitLimitTwitter => {
                Some(LegacyKind::Limit)
            }
            Field::RateLimitRemaining
            | Field::XRateLimitRemaining
            | Field::XRateLimitRemainingTwitter => Some(LegacyKind::Remaining),
            Field::RateLimitReset | Field::XRateLimitReset | Field::XRateLimitResetTwitter => {
                Some(LegacyKind::Reset)
            }
            Field::XRateLimitUsed => Some(LegacyKind::Used),
            _ => None,
        }
    }

    /// True for the fields the draft says to ignore on a response served from a cache.
    pub const fn is_rate_limit(self) -> bool {
        !matches!(
            self,
            Field::RetryAfter | Field::RetryAfterMs | Field::Date | Field::Age
        )
    }

    /// The Anthropic policy and statement this field carries, if it is one of Anthropic's
    /// (`(policy, kind)` as indices: requests, tokens, input-tokens, output-tokens; limit,
    /// remaining, reset).
    pub(crate) const fn anthropic(self) -> Option<(u8, u8)> {
        let i = self as u8;
        let first = Field::AnthropicRequestsLimit as u8;
        if i >= first && i < first + 12 {
            Some(((i - first) / 3, (i - first) % 3))
        } else {
            None
        }
    }

    /// One of OpenAI's fields (the `openai` feature reads them).
    const fn is_openai(self) -> bool {
        matches!(
            self,
            Field::OpenAiLimitRequests
                | Field::OpenAiLimitTokens
                | Field::OpenAiRemainingRequests
                | Field::OpenAiRemainingTokens
                | Field::OpenAiResetRequests
                | Field::OpenAiResetTokens
                | Field::RetryAfterMs
        )
    }
}
