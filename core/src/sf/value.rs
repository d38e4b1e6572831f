//! Zero-copy bare-item values. Each borrows the (already validated) field text and decodes lazily.

/// A Structured Field bare item (RFC 9651 §3.3), borrowing from the parsed field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BareItem<'a> {
    /// An Integer (at most 15 digits).
    Integer(i64),
    /// A Decimal (at most 12 integer and 3 fractional digits), exactly.
    Decimal(Decimal),
    /// A String; escapes are undone on access.
    String(SfStr<'a>),
    /// A Token.
    Token(SfToken<'a>),
    /// A Byte Sequence, still base64-encoded.
    ByteSequence(ByteSeq<'a>),
    /// A Boolean.
    Boolean(bool),
    /// A Date (seconds since the Unix epoch).
    Date(i64),
    /// A Display String; percent-decoding is undone on access.
    DisplayString(DisplayStr<'a>),
}

impl<'a> BareItem<'a> {
    /// The Integer value, if this is an Integer.
    pub fn as_integer(&self) -> Option<i64> {
        match *self {
            BareItem::Integer(i) => Some(i),
            _ => None,
        }
    }

    /// True when this is a String or a Token whose text equals `s`.
    pub fn is_text(&self, s: &str) -> bool {
        // A Token holds no `\`, so one unescaping comparison serves both kinds (and a device
        // links no `memcmp` for the Token case).
        let raw = match self {
            BareItem::String(v) => v.0,
            BareItem::Token(t) => t.0,
            _ => return false,
        };
        SfStr(raw).eq_str(s)
    }
}

/// The text of an SF Token, validated: ASCII `tchar`s plus `:` and `/`.
///
/// Held as bytes: reading a token (a policy name, a `qu` value) needs no UTF-8 validation, so
/// a device that never asks for [`SfToken::as_str`] links none.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SfToken<'a>(pub(crate) &'a [u8]);

impl<'a> SfToken<'a> {
    /// The token's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The token as text (always ASCII).
    pub fn as_str(&self) -> &'a str {
        core::str::from_utf8(self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for SfToken<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<&str> for SfToken<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

/// A Decimal held exactly as thousandths (SF decimals have at most three fractional digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Decimal(pub(crate) i64);

impl Decimal {
    /// The value multiplied by 1000, exactly.
    pub const fn thousandths(self) -> i64 {
        self.0
    }
}

/// The contents of an SF String between its quotes, validated, with escapes (`\"`, `\\`) intact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SfStr<'a>(pub(crate) &'a [u8]);

impl<'a> SfStr<'a> {
    /// The raw text as it appeared, escapes included.
    pub fn raw(&self) -> &'a str {
        // Validated as printable ASCII when parsed.
        core::str::from_utf8(self.0).unwrap_or("")
    }

    /// The unescaped bytes (all printable ASCII).
    pub fn bytes(&self) -> impl Iterator<Item = u8> + use<'a> {
        let mut bytes = self.0.iter().copied();
        core::iter::from_fn(move || {
            let b = bytes.next()?;
            Some(if b == b'\\' {
                bytes.next().unwrap_or(b)
            } else {
                b
            })
        })
    }

    /// The unescaped characters (all ASCII).
    pub fn chars(&self) -> impl Iterator<Item = char> + use<'a> {
        self.bytes().map(char::from)
    }

    /// True when the unescaped text equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.bytes().eq(s.bytes())
    }
}

/// The base64 text of an SF Byte Sequence, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ByteSeq<'a>(pub(crate) &'a [u8]);

impl<'a> ByteSeq<'a> {
    /// The base64 text as it appeared.
    pub fn raw(&self) -> &'a [u8] {
        self.0
    }

    /// The decoded bytes. Decoding is lenient about missing padding and non-zero pad bits, as
    /// RFC 9651 §4.2.7 allows (partition keys in the wild carry both).
    pub fn decoded(&self) -> impl Iterator<Item = u8> + use<'a> {
        let mut sextets = self.0.iter().filter_map(|&c| base64_value(c));
        let (mut acc, mut bits) = (0u32, 0u32);
        core::iter::from_fn(move || {
            while bits < 8 {
                acc = (acc << 6) | u32::from(sextets.next()?);
                bits += 6;
            }
            bits -= 8;
            Some((acc >> bits) as u8)
        })
    }

    /// Decodes into `out`, returning the decoded prefix, or `None` when `out` is too small.
    pub fn decode_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let mut n = 0;
        for b in self.decoded() {
            *out.get_mut(n)? = b;
            n += 1;
        }
        out.get(..n)
    }
}

/// The percent-encoded text of an SF Display String, validated (including its UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplayStr<'a>(pub(crate) &'a [u8]);

impl<'a> DisplayStr<'a> {
    /// The encoded text as it appeared.
    pub fn raw(&self) -> &'a [u8] {
        self.0
    }

    /// The decoded UTF-8 bytes.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + use<'a> {
        let mut raw = self.0.iter();
        core::iter::from_fn(move || {
            let b = *raw.next()?;
            if b != b'%' {
                return Some(b);
            }
            let hi = hex_value(*raw.next()?)?;
            let lo = hex_value(*raw.next()?)?;
            Some(hi << 4 | lo)
        })
    }

    /// Decodes into `out`, or `None` when `out` is too small.
    pub fn decode_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o str> {
        let mut n = 0;
        for b in self.bytes() {
            *out.get_mut(n)? = b;
            n += 1;
        }
        core::str::from_utf8(out.get(..n)?).ok()
    }
}

pub(crate) fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Lowercase hex only: RFC 9651 rejects `%C3` in Display Strings.
pub(crate) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}
