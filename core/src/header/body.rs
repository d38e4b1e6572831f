//! A throttled response's JSON body: `retry_after` (`{"error": "...", "retry_after": 12}`),
//! Discord's `global`, and a problem details object's `violated-policies` (draft -11's
//! quota-exceeded problem type, `application/problem+json`).

#[cfg(feature = "json")]
use crate::sf::Cursor;
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

/// Reads `body` if it is a JSON object (RFC 8259); other members, and anything nested, are
/// skipped. A body that is not well-formed JSON (UTF-8) gives nothing. A repeated member's
/// last value counts.
///
/// Written here rather than taken from a crate because of a device's flash, measured in the
/// full firmware image: serde-json-core reads numbers as `f64` and so links a float parser
/// (24 KB); picojson, a pull parser that can leave floats out, cost 11 KB. This reads only
/// what it needs, and takes `retry_after` from the number's text ([`ceil_seconds`]).
#[cfg(feature = "json")]
pub(crate) fn body_facts(body: &[u8]) -> Option<BodyFacts> {
    read::<true>(body)
}

/// [`body_facts`]; with `ALL` false only `retry_after` is kept (the other members are
/// validated and skipped), which is all [`body_retry_after`] needs: a device that reads only
/// that links no name hashing.
#[cfg(feature = "json")]
fn read<const ALL: bool>(body: &[u8]) -> Option<BodyFacts> {
    let mut json = Scan {
        c: Cursor::new(body),
    };
    json.ws();
    json.expect(b'{')?;
    let mut facts = BodyFacts::default();
    json.ws();
    if !json.c.eat(b'}') {
        loop {
            json.member::<ALL>(&mut facts)?;
            json.ws();
            match json.c.bump()? {
                b',' => json.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    // Nothing but whitespace may follow (RFC 8259 §2).
    json.ws();
    json.c.at_end().then_some(facts)
}

/// JSON's readers over the Structured Field parser's byte cursor; each returns `None` on text
/// that is not JSON.
#[cfg(feature = "json")]
struct Scan<'a> {
    c: Cursor<'a>,
}

/// Containers nested deeper than this make a body unreadable (bits of [`Scan::skip_value`]'s
/// stack).
#[cfg(feature = "json")]
const MAX_DEPTH: u32 = 64;

#[cfg(feature = "json")]
impl<'a> Scan<'a> {
    fn expect(&mut self, b: u8) -> Option<()> {
        self.c.eat(b).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.c.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.c.bump();
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        word.iter().try_for_each(|&b| self.expect(b))
    }

    /// A member of the top-level object, read into `facts` when it is one of the three; a
    /// repeated one's last value counts (one of another type clears it).
    fn member<const ALL: bool>(&mut self, facts: &mut BodyFacts) -> Option<()> {
        let key = self.key()?;
        // Compared as unescaped (`"retry\u005fafter"` is `retry_after`), unit by unit.
        let is = |name: &[u8]| unescaped(key).eq(name.iter().map(|&b| u32::from(b)));
        self.ws();
        let first = self.c.peek()?;
        if is(b"retry_after") {
            facts.retry_after = None;
            if let b'-' | b'0'..=b'9' = first {
                let secs = ceil_seconds(self.number()?);
                facts.retry_after = secs.map(|s| Duration::from_secs(u64::from(s)));
                return Some(());
            }
        } else if ALL && is(b"violated-policies") {
            facts.violated.clear();
            if first == b'[' {
                return self.names(&mut facts.violated);
            }
        } else if ALL && cfg!(feature = "discord") && is(b"global") {
            // Only Discord sends `global`.
            facts.global = first == b't';
        }
        self.skip_value()
    }

    /// A member's key and its `:`, returning the key's text (escapes intact).
    fn key(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let key = self.string()?;
        self.ws();
        self.expect(b':')?;
        Some(key)
    }

    /// The rest of a string after its opening quote: its text (UTF-8), escapes intact.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.c.pos();
        let mut utf8 = crate::sf::Utf8::default();
        loop {
            let b = self.c.bump()?;
            // First, so an ASCII byte inside a multi-byte sequence ends the string as invalid.
            if !utf8.accept(b) {
                return None;
            }
            match b {
                b'"' => return self.c.slice(start).split_last().map(|(_, text)| text),
                b'\\' => match self.c.bump()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        for _ in 0..4 {
                            self.c.bump().filter(u8::is_ascii_hexdigit)?;
                        }
                    }
                    _ => return None,
                },
                0x00..=0x1f => return None,
                _ => {}
            }
        }
    }

    /// A number (`-`? int frac? exp?), returning its text.
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.c.pos();
        self.c.eat(b'-');
        if !self.c.eat(b'0') {
            self.digits()?;
        }
        if self.c.eat(b'.') {
            self.digits()?;
        }
        if self.c.eat(b'e') || self.c.eat(b'E') {
            let _ = self.c.eat(b'+') || self.c.eat(b'-');
            self.digits()?;
        }
        Some(self.c.slice(start))
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let start = self.c.pos();
        while self.c.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.c.bump();
        }
        (self.c.pos() > start).then_some(())
    }

    /// An array, keeping the hashes of its first strings (as `violated-policies` names).
    fn names(&mut self, names: &mut heapless::Vec<u16, VIOLATED_CAP>) -> Option<()> {
        self.expect(b'[')?;
        self.ws();
        if self.c.eat(b']') {
            return Some(());
        }
        loop {
            if self.c.eat(b'"') {
                // A name no policy can have (not printable ASCII) is left out.
                if let Some(hash) = name_hash(self.string()?) {
                    let _ = names.push(hash);
                }
            } else {
                self.skip_value()?;
            }
            self.ws();
            match self.c.bump()? {
                b',' => self.ws(),
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Any value, containers included: nesting is followed with a stack of bits (1 for an
    /// object) rather than by recursion, so a hostile body cannot exhaust a device's stack.
    fn skip_value(&mut self) -> Option<()> {
        let (mut stack, mut depth) = (0u64, 0u32);
        loop {
            // A value, or a container's start (with its first key, in an object).
            let opened = match self.c.peek()? {
                open @ (b'{' | b'[') => {
                    self.c.bump();
                    self.ws();
                    let object = open == b'{';
                    if self.c.eat(if object { b'}' } else { b']' }) {
                        false
                    } else {
                        if depth == MAX_DEPTH {
                            return None;
                        }
                        (stack, depth) = (stack << 1 | u64::from(object), depth + 1);
                        if object {
                            self.key()?;
                            self.ws();
                        }
                        true
                    }
                }
                b'"' => {
                    self.c.bump();
                    self.string()?;
                    false
                }
                b't' => self.literal(b"true").map(|()| false)?,
                b'f' => self.literal(b"false").map(|()| false)?,
                b'n' => self.literal(b"null").map(|()| false)?,
                _ => self.number().map(|_| false)?,
            };
            if opened {
                continue;
            }
            // After a value: close what ends here, or go on after a comma.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let object = stack & 1 == 1;
                match self.c.bump()? {
                    b',' => {
                        self.ws();
                        if object {
                            self.key()?;
                            self.ws();
                        }
                        break;
                    }
                    b'}' if object => (stack, depth) = (stack >> 1, depth - 1),
                    b']' if !object => (stack, depth) = (stack >> 1, depth - 1),
                    _ => return None,
                }
            }
        }
    }
}

/// A JSON string's text (as [`Scan::string`] read it) with its escapes undone, as code
/// units: `\uXXXX` gives its UTF-16 unit (policy names and the keys read are ASCII, so a
/// surrogate pair never matches one).
#[cfg(feature = "json")]
fn unescaped(text: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut bytes = text.iter().copied();
    core::iter::from_fn(move || {
        Some(match bytes.next()? {
            b'\\' => match bytes.next()? {
                b'u' => (0..4).fold(0u32, |code, _| {
                    let d = bytes.next().unwrap_or(b'0');
                    // A hex digit, as `Scan::string` checked.
                    let value = if d <= b'9' {
                        d.wrapping_sub(b'0')
                    } else {
                        (d | 0x20).wrapping_sub(b'a' - 10)
                    };
                    code << 4 | u32::from(value)
                }),
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => 0x0a,
                b'r' => 0x0d,
                b't' => 0x09,
                c => u32::from(c),
            },
            b => u32::from(b),
        })
    })
}

/// The name hash of a JSON string's text; `None` when it holds a character no policy name
/// can (they are Structured Field Strings or Tokens: printable ASCII).
#[cfg(feature = "json")]
fn name_hash(text: &[u8]) -> Option<u16> {
    let mut printable = true;
    let bytes = unescaped(text).map(|c| {
        printable &= (0x20..0x7f).contains(&c);
        c as u8
    });
    let hash = crate::observation::name_hash(bytes);
    printable.then_some(hash)
}

/// A JSON number's text (as [`Scan::number`] read it) as whole seconds rounded up, saturating;
/// `None` when it is below zero. Read from the text so that no float parser is linked: the
/// digits are shifted by the exponent, those left of the point make the whole part, and any
/// non-zero digit right of it adds one.
#[cfg(feature = "json")]
fn ceil_seconds(text: &[u8]) -> Option<u32> {
    // Where the point falls once the exponent is applied (clamped at ±40: past that every
    // digit is out of reach, and nothing overflows).
    let (mut int_digits, mut shift, mut point_seen, mut exponent, mut below) =
        (0i32, 0i32, false, false, false);
    for &b in text {
        match b {
            b'.' => point_seen = true,
            b'e' | b'E' => exponent = true,
            b'-' if exponent => below = true,
            b'0'..=b'9' if exponent => shift = (shift * 10 + i32::from(b - b'0')).min(40),
            b'0'..=b'9' if !point_seen => int_digits = int_digits.saturating_add(1),
            _ => {}
        }
    }
    let point = int_digits.min(i32::MAX - 40) + if below { -shift } else { shift };
    let (mut whole, mut fraction, mut at) = (0u32, false, 0i32);
    for &b in text.iter().take_while(|&&b| b | 0x20 != b'e') {
        if let b'0'..=b'9' = b {
            let digit = u32::from(b - b'0');
            if at < point {
                whole = whole.saturating_mul(10).saturating_add(digit);
            } else {
                fraction |= digit != 0;
            }
            at = at.saturating_add(1);
        }
    }
    for _ in at..point {
        whole = whole.saturating_mul(10);
    }
    match text.first() {
        // `-0` and `-0.0` are zero; any other negative number is refused.
        Some(b'-') => (whole == 0 && !fraction).then_some(0),
        _ => Some(whole.saturating_add(u32::from(fraction))),
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
    read::<false>(body)?.retry_after
}

/// Without the `json` feature the body is not read: always `None`.
#[cfg(not(feature = "json"))]
pub fn body_retry_after(_body: &[u8]) -> Option<Duration> {
    None
}

#[cfg(all(test, feature = "json"))]
mod tests {
    extern crate std;
    use super::{BodyFacts, body_facts, ceil_seconds};
    use crate::observation::name_hash;
    use std::string::{String, ToString};
    use std::vec::Vec;
    use std::{format, panic};

    fn retry_after(body: &str) -> Option<u64> {
        body_facts(body.as_bytes())?
            .retry_after
            .map(|d| d.as_secs_ceil())
    }

    #[test]
    fn numbers_round_up_from_their_text() {
        let cases: &[(&str, Option<u32>)] = &[
            ("0", Some(0)),
            ("12", Some(12)),
            ("64.57", Some(65)),
            ("0.2", Some(1)),
            ("3.000", Some(3)),
            ("1e3", Some(1000)),
            ("1.5E+1", Some(15)),
            ("1.25e1", Some(13)),
            ("25e-1", Some(3)),
            ("5e-400", Some(1)),
            ("1e400", Some(u32::MAX)),
            ("12345678901234567890", Some(u32::MAX)),
            (
                "0.00000000000000000000000000000000000000000000000001",
                Some(1),
            ),
            ("-0", Some(0)),
            ("-0.0e7", Some(0)),
            ("-1", None),
            ("-0.001", None),
        ];
        for &(text, secs) in cases {
            assert_eq!(ceil_seconds(text.as_bytes()), secs, "{text}");
        }
    }

    #[test]
    fn reads_the_members_it_knows_and_skips_the_rest() {
        assert_eq!(retry_after(r#"{"retry_after": 12}"#), Some(12));
        assert_eq!(retry_after(" \r\n\t{ } \n"), None);
        assert!(body_facts(b"{}").is_some());
        let nested = r#"{"a": {"b": [1, {"retry_after": 99}, "x\"]"]}, "retry_after": 3.5}"#;
        assert_eq!(retry_after(nested), Some(4));
        // Escapes in keys are undone; a repeated member's last value counts.
        assert_eq!(
            retry_after(r#"{"retry\u005fafter": 7, "retry_after": 8}"#),
            Some(8)
        );
        assert_eq!(
            retry_after(r#"{"retry_after": 7, "retry_after": "8"}"#),
            None
        );
        let body =
            br#"{"violated-policies": ["day", "h\u00e9", "min\"ute", 3, "x"], "global": true}"#;
        let facts = body_facts(body).unwrap();
        let hash = |s: &str| name_hash(s.bytes());
        assert_eq!(facts.violated.as_slice(), [hash("day"), hash("min\"ute")]);
        assert_eq!(facts.global, cfg!(feature = "discord"));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for body in [
            "",
            "[]",
            "12",
            "{",
            r#"{"retry_after": 12"#,
            r#"{"retry_after": 12,}"#,
            r#"{"retry_after" 12}"#,
            r#"{"retry_after": 012}"#,
            r#"{"retry_after": 1.}"#,
            r#"{"retry_after": .5}"#,
            r#"{"retry_after": +1}"#,
            r#"{"retry_after": 12} x"#,
            r#"{"a": tru}"#,
            r#"{"a": [1 2]}"#,
            r#"{"a": {"b"}}"#,
            "{\"a\": \"tab\tin a string\"}",
            r#"{"a": "\x"}"#,
            r#"{"a": "\u12G4"}"#,
        ] {
            assert!(body_facts(body.as_bytes()).is_none(), "{body:?}");
        }
        assert!(
            body_facts(b"{\"a\": \"\xc3\"}").is_none(),
            "a cut UTF-8 sequence"
        );
        assert!(body_facts(b"{\"a\": \"\xc3\xa9\"}").is_some());
    }

    #[test]
    fn nesting_is_bounded_without_recursion() {
        let nested =
            |depth: usize| format!("{{\"a\": {}1{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(body_facts(nested(64).as_bytes()).is_some());
        assert!(body_facts(nested(65).as_bytes()).is_none());
        assert!(body_facts(format!("{{\"a\": {}", "[".repeat(1_000_000)).as_bytes()).is_none());
    }

    /// Generated objects (unique top-level keys, some of them the ones read) and byte-level
    /// mutations of them, judged against serde_json: the same bodies are JSON objects, and
    /// where they are, the same `retry_after` (when `f64` decides its ceiling unambiguously),
    /// `global` and `violated-policies` come out.
    #[test]
    fn agrees_with_serde_json() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut objects, mut read) = (0, 0);
        for round in 0..200_000 {
            let mut body = object(&mut rand, 0).into_bytes();
            if round % 2 == 1 {
                mutate(&mut body, &mut rand);
            }
            let ours = body_facts(&body);
            // The reader of `retry_after` alone validates the same and reads the same.
            assert_eq!(
                super::body_retry_after(&body),
                ours.as_ref().and_then(|f| f.retry_after),
                "{}",
                String::from_utf8_lossy(&body)
            );
            let reference = serde_json::from_slice::<serde_json::Value>(&body);
            let map = match reference {
                Ok(serde_json::Value::Object(map)) => map,
                // RFC 8259 §6 lets a parser limit the range of numbers, as serde_json does
                // (an exponent that overflows `f64`); the grammar has no such limit.
                Err(e) if e.to_string().contains("out of range") => continue,
                _ => {
                    assert!(ours.is_none(), "{}", String::from_utf8_lossy(&body));
                    continue;
                }
            };
            let ours = ours.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&body)));
            objects += 1;
            read += usize::from(same_facts(&ours, &map, &body));
        }
        assert!(
            objects > 100_000 && read > 50_000,
            "{objects} objects, {read} compared"
        );
    }

    /// Compares what both read; false when `retry_after` was left out of the comparison.
    fn same_facts(
        ours: &BodyFacts,
        map: &serde_json::Map<String, serde_json::Value>,
        body: &[u8],
    ) -> bool {
        let text = String::from_utf8_lossy(body);
        let violated: Vec<u16> = match map.get("violated-policies") {
            Some(serde_json::Value::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str())
                .filter(|n| n.bytes().all(|b| (0x20..0x7f).contains(&b)))
                .take(2)
                .map(|n| name_hash(n.bytes()))
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(ours.violated.as_slice(), violated, "{text}");
        let global = map.get("global").and_then(|g| g.as_bool()) == Some(true);
        assert_eq!(ours.global, global && cfg!(feature = "discord"), "{text}");
        let secs = ours.retry_after.map(|d| d.as_secs_ceil());
        match map.get("retry_after").and_then(|r| r.as_f64()) {
            None => assert_eq!(secs, None, "{text}"),
            Some(f) if f < 0.0 => assert_eq!(secs, None, "{text}"),
            // A ceiling `f64` rounding could move, or `-0` against a tiny negative.
            Some(f)
                if f == 0.0
                    || f > 4e9
                    || (f.ceil() - f).min(f - f.floor()) < 1e-6 && f.fract() != 0.0 =>
            {
                return false;
            }
            // A `Duration` saturates at 2^32 - 1 ms (49.7 days).
            Some(f) => {
                let expected = crate::Duration::from_secs(f.ceil() as u64).as_secs_ceil();
                assert_eq!(secs, Some(expected), "{text}");
            }
        }
        true
    }

    fn object(rand: &mut impl FnMut(usize) -> usize, depth: usize) -> String {
        const KEYS: [&str; 6] = [
            "retry_after",
            "global",
            "violated-policies",
            "retry\\u005fafter",
            "message",
            "x",
        ];
        let mut keys: Vec<&str> = KEYS.to_vec();
        let mut members = Vec::new();
        for _ in 0..rand(5) {
            let key = keys.remove(rand(keys.len()));
            let value = match key {
                "retry_after" | "retry\\u005fafter" if rand(3) > 0 => number(rand),
                "violated-policies" if rand(3) > 0 => format!(
                    "[{}]",
                    (0..rand(4))
                        .map(|_| string(rand))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                "global" if rand(3) > 0 => ["true", "false"][rand(2)].to_string(),
                _ => value(rand, depth + 1),
            };
            members.push(format!(
                "{}\"{key}\"{}:{}{value}{}",
                ws(rand),
                ws(rand),
                ws(rand),
                ws(rand)
            ));
        }
        format!("{{{}{}}}", members.join(","), ws(rand))
    }

    fn value(rand: &mut impl FnMut(usize) -> usize, depth: usize) -> String {
        match rand(if depth < 4 { 7 } else { 5 }) {
            0 => number(rand),
            1 => string(rand),
            2 => ["true", "false", "null"][rand(3)].to_string(),
            3 | 4 => string(rand),
            5 => format!(
                "[{}]",
                (0..rand(3))
                    .map(|_| value(rand, depth + 1))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => object(rand, depth + 1),
        }
    }

    fn number(rand: &mut impl FnMut(usize) -> usize) -> String {
        let sign = ["", "", "-"][rand(3)];
        let int = ["0", "7", "12", "60", "4096", "123456789"][rand(6)];
        let frac = ["", "", ".5", ".25", ".125", ".000", ".999"][rand(7)];
        let exp = ["", "", "", "e2", "E-1", "e+3", "e-3", "E0"][rand(8)];
        format!("{sign}{int}{frac}{exp}")
    }

    fn string(rand: &mut impl FnMut(usize) -> usize) -> String {
        const PIECES: [&str; 9] = [
            "day", "minute", "q\\\"", "\\\\", "\\/", "\\n", "\\u0041", "é", " ",
        ];
        format!(
            "\"{}\"",
            (0..rand(4))
                .map(|_| PIECES[rand(PIECES.len())])
                .collect::<String>()
        )
    }

    fn ws(rand: &mut impl FnMut(usize) -> usize) -> &'static str {
        ["", "", " ", "\n\t", "\r "][rand(5)]
    }

    /// One to three byte edits from bytes that matter to JSON (no `d`, so a `\u` escape never
    /// becomes a lone surrogate, which serde_json refuses and RFC 8259 allows).
    fn mutate(body: &mut Vec<u8>, rand: &mut impl FnMut(usize) -> usize) {
        const BYTES: &[u8] = b"{}[],:\"\\ \t\n-+.eE0159atrunflsx\x00\x1f\xc3\xa9\xff";
        for _ in 0..=rand(3) {
            let at = rand(body.len() + 1);
            let b = BYTES[rand(BYTES.len())];
            match rand(3) {
                0 if at < body.len() => body[at] = b,
                1 if at < body.len() => {
                    body.remove(at);
                }
                _ => body.insert(at, b),
            }
        }
    }
}
