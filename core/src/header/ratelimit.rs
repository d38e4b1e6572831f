//! The RateLimit header families, each reduced to [`Fact`]s about named or unnamed policies.
//!
//! | generation | fields | reduced to |
//! |---|---|---|
//! | drafts -08 … -11 | `RateLimit-Policy: "minute";q=60;w=60` / `RateLimit: "minute";r=42;t=12` | one named fact per member |
//! | draft -07 | `RateLimit: limit=100, remaining=50, reset=5` (Dictionary), `RateLimit-Policy: 100;w=10` | unnamed facts |
//! | drafts ≤ -06 | `RateLimit-Limit: 10, 10;w=1, 1000;w=3600`, `-Remaining`, `-Reset` | unnamed facts |
//! | legacy | `X-RateLimit-*`, `X-Rate-Limit-*` (incl. `-Used`) | unnamed facts |
//!
//! A field that fails to parse is reported as a whole ([`Reason`]); within a valid field, a member
//! that lacks a required parameter or has one of the wrong type is skipped.

// The legacy forms' readers are compiled in every build, so that the same code is tested
// with and without the feature; only their callers are left out without `legacy`.
#![cfg_attr(not(feature = "legacy"), allow(dead_code))]

use super::{Flaw, Param, Reason};
use crate::cost::{KEYED, Key};
use crate::sf::{self, BareItem, SfStr, SfToken, Step};
use crate::time::UnixTime;

/// A policy's name as it appeared: a String, a Token, or none (older drafts and legacy headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Name<'a> {
    /// No name: drafts ≤ -07 and legacy headers describe one unnamed policy.
    Unnamed,
    /// A String name, escapes intact.
    String(SfStr<'a>),
    /// A Token name (the drafts' own examples use these).
    Token(SfToken<'a>),
}

impl<'a> Name<'a> {
    /// The name as sent (a String's escapes intact); empty when unnamed.
    pub fn raw(&self) -> &'a [u8] {
        match self {
            Name::String(s) => s.0,
            Name::Token(t) => t.0,
            Name::Unnamed => &[],
        }
    }

    /// The name's bytes, escapes undone (Strings and Tokens are ASCII).
    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        // A Token holds no `\`, so unescaping leaves it as is: one iterator for both kinds.
        SfStr(self.raw()).bytes()
    }
}

/// A reset value as sent: seconds from now, or possibly a Unix time (legacy forms; see
/// [`Reset::secs_from`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reset {
    /// Seconds from the response (the drafts' `t` is always this).
    Delta(u32),
    /// A number that is seconds at some services and a Unix time at others.
    Ambiguous(u32),
    /// A point in time (Anthropic's RFC 3339 resets, GitLab's `RateLimit-ResetTime`).
    #[cfg(any(feature = "anthropic", feature = "gitlab"))]
    At(UnixTime),
}

/// Values above this are taken as Unix times (2001-09-09), below as seconds to wait.
pub(crate) const EPOCH_THRESHOLD: u32 = 1_000_000_000;

impl Reset {
    /// Seconds from the response's time. An epoch-style value is converted against
    /// `reference` (the `Date` header, else the caller's clock); a past time gives 0; an
    /// epoch value with no reference is `None`.
    pub fn secs_from(self, reference: Option<UnixTime>) -> Option<u32> {
        match self {
            Reset::Delta(s) => Some(s),
            // Only the pre-standard forms (the legacy feature) send these.
            Reset::Ambiguous(_) if !cfg!(feature = "legacy") => None,
            Reset::Ambiguous(s) if s <= EPOCH_THRESHOLD => Some(s),
            Reset::Ambiguous(at) => {
                let wait = i64::from(at).saturating_sub(reference?.as_secs());
                saturating_u32(wait.max(0))
            }
            #[cfg(any(feature = "anthropic", feature = "gitlab"))]
            Reset::At(at) => Some(crate::sat_u32(at.secs_since(reference?))),
        }
    }
}

/// What `qu` says the quota counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QuotaUnit {
    /// Requests (the default).
    #[default]
    Requests,
    /// Bytes of content.
    ContentBytes,
    /// Requests in flight at once.
    ConcurrentRequests,
    /// A unit this library does not know.
    Other,
}

/// One statement a field makes about one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fact<'a> {
    /// Which policy.
    pub name: Name<'a>,
    /// Quota units per window.
    pub quota: Option<u32>,
    /// Window length in seconds.
    pub window_s: Option<u32>,
    /// Quota units left.
    pub remaining: Option<u32>,
    /// When more quota becomes available.
    pub reset: Option<Reset>,
    /// What the quota counts.
    pub unit: QuotaUnit,
    /// An additional unnamed window declared by a list form (`RateLimit-Limit: 10, 1000;w=3600`),
    /// distinct from the unnamed policy the other legacy fields describe.
    pub extra: bool,
    /// The partition key (`pk`), as a [`Key`] of its base64 ([`Key::IDENTITY`]: none).
    pub partition: Key,
    /// Quota consumed (`X-RateLimit-Used`): remaining = limit − used when no remaining is sent.
    #[cfg(feature = "legacy")]
    pub used: Option<u32>,
    /// Why the member is dropped: a parameter invalid, or a required one missing.
    pub invalid: Option<Reason>,
}

impl<'a> Fact<'a> {
    pub(crate) const fn unnamed() -> Self {
        Fact {
            name: Name::Unnamed,
            quota: None,
            window_s: None,
            remaining: None,
            reset: None,
            unit: QuotaUnit::Requests,
            extra: false,
            partition: Key::IDENTITY,
            #[cfg(feature = "legacy")]
            used: None,
            invalid: None,
        }
    }

    /// Records the first invalid parameter.
    fn flaw(&mut self, param: Param, flaw: Flaw) {
        if self.invalid.is_none() {
            self.invalid = Some(Reason::Parameter { param, flaw });
        }
    }

    /// The Integer parameter `param`'s value, or `None` having recorded why it is invalid.
    fn int(&mut self, param: Param, v: BareItem<'_>, positive: bool) -> Option<u32> {
        let flaw = match v {
            BareItem::Integer(i) if i < 0 => Flaw::Negative,
            BareItem::Integer(0) if positive => Flaw::NotPositive,
            BareItem::Integer(i) => return saturating_u32(i),
            _ => Flaw::NotAnInteger,
        };
        self.flaw(param, flaw);
        None
    }

    /// `pk`: a Byte Sequence, kept as the key of its base64 (when keys are kept apart).
    fn partition(&mut self, v: BareItem<'a>) {
        match v {
            BareItem::ByteSequence(b) => self.partition = Key::of(b.raw()),
            _ => self.flaw(Param::Pk, Flaw::NotAByteSequence),
        }
    }
}

fn non_negative(item: Option<BareItem<'_>>) -> Option<u32> {
    item?.as_integer().and_then(saturating_u32)
}

/// A non-negative number as `u32`, saturating (see `crate::sat_u32`); `None` when negative.
fn saturating_u32(n: i64) -> Option<u32> {
    u64::try_from(n).ok().map(crate::sat_u32)
}

fn positive(item: Option<BareItem<'_>>) -> Option<u32> {
    non_negative(item).filter(|&w| w > 0)
}

fn name_of<'a>(bare: BareItem<'a>) -> Option<Name<'a>> {
    match bare {
        BareItem::String(s) => Some(Name::String(s)),
        BareItem::Token(t) => Some(Name::Token(t)),
        _ => None,
    }
}

/// Facts held back until their field is known to be valid; a field with more is walked twice.
const HELD_FACTS: usize = 4;

/// The List fields [`facts`] reads; one enum rather than closures, so the walk is compiled
/// once for all (it is most of a device's header-parsing code).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListField {
    Policy,
    RateLimit,
    /// The ≤ -06 and `X-` numeric fields: the first Item is the number, and a `*-Limit`
    /// field's further Items are extra `quota;w=…` windows. (Fieldless variants, not one
    /// holding a [`LegacyKind`]: the walk compares them as one byte.)
    #[cfg(feature = "legacy")]
    Limit,
    #[cfg(feature = "legacy")]
    Remaining,
    #[cfg(feature = "legacy")]
    Reset,
    #[cfg(feature = "legacy")]
    Used,
}

impl ListField {
    /// A ≤ -06 or `X-` numeric field (read by its first Item's number).
    #[cfg(feature = "legacy")]
    fn numeric(self) -> bool {
        !matches!(self, ListField::Policy | ListField::RateLimit)
    }

    /// Begins a fact in `f` from a member's bare item; false when the member is skipped.
    #[inline]
    fn start<'a>(self, bare: BareItem<'a>, f: &mut Fact<'a>) -> bool {
        #[cfg(feature = "legacy")]
        if self.numeric() {
            return self.start_number(bare, f);
        }
        *f = Fact::unnamed();
        match (self, bare) {
            // Draft -07's unnamed `quota;w=…` items, read with the other pre-standard forms.
            #[cfg(feature = "legacy")]
            (ListField::Policy, BareItem::Integer(q)) => {
                f.quota = saturating_u32(q);
                f.extra = true;
                if q < 0 {
                    f.flaw(Param::Q, Flaw::Negative);
                }
                true
            }
            (_, bare) => name_of(bare).map(|name| f.name = name).is_some(),
        }
    }

    /// Begins a numeric field's fact: its first Item's number (one that is not makes the
    /// whole field invalid: see `facts`), or a `*-Limit` field's extra window. `f` still
    /// holds nothing before the first Item, and a skipped Item leaves it as it was, so an
    /// empty `f` means the first Item.
    #[cfg(feature = "legacy")]
    fn start_number<'a>(self, bare: BareItem<'a>, f: &mut Fact<'a>) -> bool {
        let first = f.quota.is_none()
            && f.remaining.is_none()
            && f.reset.is_none()
            && f.used.is_none()
            && f.invalid.is_none();
        let n = number(bare);
        if !first {
            if self != ListField::Limit || n.is_none() {
                return false;
            }
            *f = Fact::unnamed();
            f.quota = n;
            f.extra = true;
            return true;
        }
        *f = Fact::unnamed();
        match self {
            ListField::Limit => f.quota = n,
            ListField::Remaining => f.remaining = n,
            ListField::Reset => f.reset = n.map(Reset::Ambiguous),
            _ => f.used = n,
        }
        if n.is_none() {
            f.invalid = Some(Reason::NotANumber);
        }
        true
    }

    /// Applies one parameter, in order (so the last of a repeated key wins).
    #[inline]
    fn param<'a>(self, f: &mut Fact<'a>, key: &[u8], v: BareItem<'a>) {
        match self {
            ListField::Policy => match key {
                b"w" => f.window_s = f.int(Param::W, v, true),
                // An Integer item's quota is the item itself.
                b"q" if !f.extra => f.quota = f.int(Param::Q, v, false),
                b"pk" if KEYED => f.partition(v),
                b"qu" if !f.extra => {
                    f.unit = match v {
                        // `request` is the unit's name in the IANA registry.
                        u if u.is_text("requests") || u.is_text("request") => QuotaUnit::Requests,
                        u if u.is_text("content-bytes") => QuotaUnit::ContentBytes,
                        u if u.is_text("concurrent-requests") => QuotaUnit::ConcurrentRequests,
                        _ => QuotaUnit::Other,
                    }
                }
                _ => {}
            },
            ListField::RateLimit => match key {
                b"q" => f.quota = f.int(Param::Q, v, false),
                b"r" => f.remaining = f.int(Param::R, v, false),
                b"t" => f.reset = f.int(Param::T, v, false).map(Reset::Delta),
                b"pk" if KEYED => f.partition(v),
                _ => {}
            },
            // A window only a `*-Limit` field's items carry; an invalid one is left out.
            #[cfg(feature = "legacy")]
            ListField::Limit => {
                if key == b"w" {
                    f.window_s = positive(Some(v));
                }
            }
            #[cfg(feature = "legacy")]
            ListField::Remaining | ListField::Reset | ListField::Used => {}
        }
    }

    /// Whether a finished fact is reported (every one is: an invalid one, to say why it is
    /// dropped); a policy without its quota is invalid.
    #[inline]
    fn keep(self, f: &mut Fact<'_>) -> bool {
        if self == ListField::Policy && f.quota.is_none() {
            f.flaw(Param::Q, Flaw::Missing);
        }
        true
    }
}

/// Reduces a List field to facts in one pass. Facts reach `sink` only once the whole field
/// has parsed.
fn facts<'a>(
    value: &'a [u8],
    field: ListField,
    sink: &mut dyn FnMut(&Fact<'a>),
) -> Result<(), Reason> {
    let pass = |emit: &mut dyn FnMut(&Fact<'a>)| {
        // The member being read, and whether it is one to report.
        let (mut current, mut active) = (Fact::unnamed(), false);
        sf::walk_list(value, |step| match step {
            Step::Item(bare) => {
                if active && field.keep(&mut current) {
                    emit(&current);
                }
                active = field.start(bare, &mut current);
            }
            Step::InnerList => {
                if active && field.keep(&mut current) {
                    emit(&current);
                }
                active = false;
            }
            Step::Param(key, v) => {
                if active {
                    field.param(&mut current, key, v);
                }
            }
        })
        .map_err(|e| Reason::Syntax(e.kind))?;
        if active && field.keep(&mut current) {
            emit(&current);
        }
        Ok(())
    };
    let mut held: heapless::Vec<Fact<'a>, HELD_FACTS> = heapless::Vec::new();
    let mut overflow = false;
    pass(&mut |f| overflow |= held.push(*f).is_err())?;
    // A numeric field stands or falls by its first Item (the first fact: it is always held).
    #[cfg(feature = "legacy")]
    if field.numeric() {
        match held.first() {
            None => return Err(Reason::Empty),
            Some(Fact {
                invalid: Some(reason),
                ..
            }) => return Err(*reason),
            Some(_) => {}
        }
    }
    if overflow {
        // Valid, as the first pass showed: report everything on a second.
        return pass(sink);
    }
    held.iter().for_each(sink);
    Ok(())
}

/// `RateLimit-Policy`: named policies (-08+, `q` required) or `quota;w=…` items (≤ -07).
pub(crate) fn policy_field<'a>(
    value: &'a [u8],
    mut sink: impl FnMut(&Fact<'a>),
) -> Result<(), Reason> {
    facts(value, ListField::Policy, &mut sink)
}

/// `RateLimit`: a List of named items with `r`/`t` (-08+), or (with the `legacy` feature) the
/// -07 Dictionary `limit=…, remaining=…, reset=…`, which is otherwise a syntax error.
pub(crate) fn ratelimit_field<'a>(
    value: &'a [u8],
    mut sink: impl FnMut(&Fact<'a>),
) -> Result<(), Reason> {
    #[cfg(feature = "legacy")]
    if let Some(fact) = draft7_dictionary(value) {
        sink(&fact);
        return Ok(());
    }
    facts(value, ListField::RateLimit, &mut sink)
}

/// A token-named -08 item such as `minute;r=1` also parses as a Dictionary, so -07 is
/// recognised only by an Integer-valued `limit`, `remaining` or `reset` member.
#[cfg(feature = "legacy")]
fn draft7_dictionary(value: &[u8]) -> Option<Fact<'_>> {
    // A Dictionary starts with a key; -08 lists mostly start with a quoted name.
    let first = value.iter().find(|&&b| b != b' ')?;
    if !matches!(first, b'a'..=b'z' | b'*') {
        return None;
    }
    // A repeated key's last value counts, as in a parsed Dictionary.
    let mut fact = Fact::unnamed();
    sf::walk_dictionary(value, |key, step| {
        let n = match step {
            Step::Item(bare) => non_negative(Some(bare)),
            Step::InnerList => None,
            Step::Param(..) => return,
        };
        match key {
            b"limit" => fact.quota = n,
            b"remaining" => fact.remaining = n,
            b"reset" => fact.reset = n.map(Reset::Ambiguous),
            _ => {}
        }
    })
    .ok()?;
    (fact.quota.is_some() || fact.remaining.is_some() || fact.reset.is_some()).then_some(fact)
}

/// Which legacy number a field carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LegacyKind {
    /// `*-Limit`: the quota; ≤ -03 drafts append `quota;w=…` policies as further list members.
    Limit,
    /// `*-Remaining`.
    Remaining,
    /// `*-Reset`: seconds or a Unix time.
    Reset,
    /// `X-RateLimit-Used`: quota consumed (remaining = limit − used when no remaining is sent).
    Used,
}

/// One legacy or ≤ -06 numeric field (`RateLimit-Limit`, `X-RateLimit-Reset`, …): the
/// number of its first Item (`NotANumber` when it is none, `Empty` when there is no Item);
/// a `*-Limit` field's further Items are extra `quota;w=…` windows. `used` is reported as a
/// fact with `remaining: None` and its `used` for the caller to store.
#[cfg(feature = "legacy")]
pub(crate) fn legacy_field<'a>(
    kind: LegacyKind,
    value: &'a [u8],
    mut sink: impl FnMut(Fact<'a>, Option<u32>),
) -> Result<(), Reason> {
    let field = match kind {
        LegacyKind::Limit => ListField::Limit,
        LegacyKind::Remaining => ListField::Remaining,
        LegacyKind::Reset => ListField::Reset,
        LegacyKind::Used => ListField::Used,
    };
    facts(value, field, &mut |f| sink(*f, f.used))
}

/// A non-negative Integer, or a Decimal rounded up (some services send `1.5` resets).
fn number(bare: BareItem<'_>) -> Option<u32> {
    match bare {
        BareItem::Integer(i) => saturating_u32(i),
        BareItem::Decimal(d) => u64::try_from(d.thousandths())
            .ok()
            .map(|t| crate::sat_u32(crate::time::div_ceil_1000(t))),
        _ => None,
    }
}
