//! Runs the httpwg structured-field-tests suite (vendored under `tests/data`, from
//! `../shared/structured-field-tests`) against `headroom_core::sf`.
//!
//! Every parse case of every file is run: `must_fail` cases must be rejected, the rest must parse
//! to exactly `expected`; `can_fail` cases may be rejected but, if accepted, must match.

use headroom_core::sf::{self, BareItem, Dictionary, Item, List, Member, Params};
use serde_json::{Value, json};
use std::path::PathBuf;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/structured-field-tests")
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn bare(b: BareItem<'_>) -> Value {
    match b {
        BareItem::Integer(i) => json!(i),
        BareItem::Decimal(d) => json!(d.thousandths() as f64 / 1000.0),
        BareItem::String(s) => json!(s.chars().collect::<String>()),
        BareItem::Token(t) => json!({"__type": "token", "value": t.as_str()}),
        BareItem::ByteSequence(b) => {
            json!({"__type": "binary", "value": base32(&b.decoded().collect::<Vec<_>>())})
        }
        BareItem::Boolean(v) => json!(v),
        BareItem::Date(d) => json!({"__type": "date", "value": d}),
        BareItem::DisplayString(d) => {
            let text = String::from_utf8(d.bytes().collect()).expect("validated UTF-8");
            json!({"__type": "displaystring", "value": text})
        }
    }
}

fn params(p: Params<'_>) -> Value {
    Value::Array(p.iter().map(|(k, v)| json!([k, bare(v)])).collect())
}

fn item(i: Item<'_>) -> Value {
    json!([bare(i.bare()), params(i.params())])
}

fn member(m: Member<'_>) -> Value {
    match m {
        Member::Item(i) => item(i),
        Member::InnerList(l) => json!([
            Value::Array(l.items().map(item).collect()),
            params(l.params())
        ]),
    }
}

fn list(l: List<'_>) -> Value {
    Value::Array(l.members().map(member).collect())
}

fn dictionary(d: Dictionary<'_>) -> Value {
    Value::Array(d.iter().map(|(k, m)| json!([k, member(m)])).collect())
}

/// Numbers compare by value: the suite writes `1.0` where we produce the integer-valued float.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn parse(header_type: &str, joined: &[u8]) -> Result<Value, sf::Error> {
    match header_type {
        "item" => sf::parse_item(joined).map(item),
        "list" => sf::parse_list(joined).map(list),
        "dictionary" => sf::parse_dictionary(joined).map(dictionary),
        other => panic!("unknown header_type {other}"),
    }
}

#[test]
fn httpwg_structured_field_tests() {
    let mut files: Vec<_> = std::fs::read_dir(suite_dir())
        .expect("vendored suite present")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the whole suite, found {} files",
        files.len()
    );

    let (mut passed, mut accepted_can_fail, mut rejected_can_fail) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let fname = file.file_name().unwrap().to_string_lossy().to_string();
        for case in cases {
            let name = case["name"].as_str().unwrap_or("?").to_string();
            let Some(raw) = case["raw"].as_array() else {
                continue;
            };
            let lines: Vec<&[u8]> = raw.iter().map(|l| l.as_str().unwrap().as_bytes()).collect();
            let mut buf = vec![0u8; lines.iter().map(|l| l.len() + 2).sum::<usize>()];
            let joined = sf::join_lines(lines.iter().copied(), &mut buf).expect("buffer sized");
            let result = parse(case["header_type"].as_str().unwrap(), joined);
            let must_fail = case["must_fail"].as_bool().unwrap_or(false);
            let can_fail = case["can_fail"].as_bool().unwrap_or(false);
            match (result, must_fail) {
                (Err(_), true) => passed += 1,
                (Ok(v), true) => failures.push(format!("{fname}: {name}: accepted {v}")),
                (Err(e), false) if can_fail => {
                    rejected_can_fail += 1;
                    passed += 1;
                    let _ = e;
                }
                (Err(e), false) => failures.push(format!("{fname}: {name}: rejected ({e})")),
                (Ok(v), false) => {
                    if same(&v, &case["expected"]) {
                        passed += 1;
                        accepted_can_fail += usize::from(can_fail);
                    } else {
                        failures.push(format!(
                            "{fname}: {name}: got {v}, want {}",
                            case["expected"]
                        ));
                    }
                }
            }
        }
    }
    println!(
        "structured-field-tests: {passed} passed, {} failed ({} files; can_fail cases: \
         {accepted_can_fail} accepted and matched, {rejected_can_fail} rejected)",
        failures.len(),
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod sf_expected;
#[path = "shared/sf.rs"]
#[allow(dead_code)] // the runner on the device prints `Case::name`
mod shared_sf;

/// The same suite through the body the on-target runner runs (`shared/sf.rs`), so both
/// check one thing.
#[test]
fn httpwg_cases_through_the_shared_body() {
    let dir = suite_dir();
    let cases = sf_expected::cases(&dir);
    assert!(cases.len() > 1000, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    for (name, header_type, raw, must_fail, can_fail, expected) in &cases {
        let lines: Vec<&[u8]> = raw.iter().map(|l| l.as_bytes()).collect();
        let case = shared_sf::Case {
            name,
            header_type,
            raw: &lines,
            must_fail: *must_fail,
            can_fail: *can_fail,
            expected,
        };
        if let Err(why) = shared_sf::check(&case, &mut buf) {
            failures.push(format!("{name}: {why:?} (expected {expected})"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

/// What a walk reports of a member: its value's bare item (`None` for an Inner List) and its
/// parameters, each key once at its first position with its last value (as `Params::iter`).
type Walked = (Option<Value>, Vec<(Vec<u8>, Value)>);

fn walked_param(m: &mut Walked, key: &[u8], v: BareItem<'_>) {
    match m.1.iter_mut().find(|(k, _)| k == key) {
        Some(p) => p.1 = bare(v),
        None => m.1.push((key.to_vec(), bare(v))),
    }
}

fn head(step: sf::Step<'_>) -> Option<Walked> {
    match step {
        sf::Step::Item(b) => Some((Some(bare(b)), Vec::new())),
        sf::Step::InnerList => Some((None, Vec::new())),
        sf::Step::Param(..) => None,
    }
}

fn parsed(m: Member<'_>) -> Walked {
    let (value, p) = match m {
        Member::Item(i) => (Some(bare(i.bare())), i.params()),
        Member::InnerList(l) => (None, l.params()),
    };
    let p = p
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), bare(v)))
        .collect();
    (value, p)
}

/// `walk_list` and `walk_dictionary` accept exactly the Lists and Dictionaries of the suite
/// that `parse_list` and `parse_dictionary` accept, and report the same members: for a
/// Dictionary, a repeated key's last member, a valueless one as `?1`.
#[test]
fn walks_agree_with_the_parsers_on_the_suite() {
    let cases = sf_expected::cases(&suite_dir());
    let (mut lists, mut dictionaries) = (0, 0);
    for (name, header_type, raw, ..) in &cases {
        let lines: Vec<&[u8]> = raw.iter().map(|l| l.as_bytes()).collect();
        let mut buf = vec![0u8; lines.iter().map(|l| l.len() + 2).sum::<usize>()];
        let joined = sf::join_lines(lines.iter().copied(), &mut buf).expect("buffer sized");
        match header_type.as_str() {
            "list" => {
                let mut walked: Vec<Walked> = Vec::new();
                let walk = sf::walk_list(joined, |step| match (head(step), step) {
                    (Some(m), _) => walked.push(m),
                    (None, sf::Step::Param(k, v)) => {
                        walked_param(walked.last_mut().expect("a member first"), k, v)
                    }
                    (None, _) => unreachable!(),
                });
                let parse = sf::parse_list(joined);
                assert_eq!(walk.is_ok(), parse.is_ok(), "{name}");
                if let Ok(l) = parse {
                    let want: Vec<Walked> = l.members().map(parsed).collect();
                    assert_eq!(walked, want, "{name}");
                }
                lists += 1;
            }
            "dictionary" => {
                let mut walked: Vec<(Vec<u8>, Walked)> = Vec::new();
                let walk = sf::walk_dictionary(joined, |key, step| match (head(step), step) {
                    (Some(m), _) => match walked.iter_mut().find(|(k, _)| k == key) {
                        Some(entry) => entry.1 = m,
                        None => walked.push((key.to_vec(), m)),
                    },
                    (None, sf::Step::Param(k, v)) => {
                        let entry = walked.iter_mut().find(|(e, _)| e == key).expect("member");
                        walked_param(&mut entry.1, k, v)
                    }
                    (None, _) => unreachable!(),
                });
                let parse = sf::parse_dictionary(joined);
                assert_eq!(walk.is_ok(), parse.is_ok(), "{name}");
                if let Ok(d) = parse {
                    let want: Vec<(Vec<u8>, Walked)> = d
                        .iter()
                        .map(|(k, m)| (k.as_bytes().to_vec(), parsed(m)))
                        .collect();
                    assert_eq!(walked, want, "{name}");
                }
                dictionaries += 1;
            }
            _ => {}
        }
    }
    assert!(
        lists > 100 && dictionaries > 100,
        "{lists} lists, {dictionaries} dictionaries"
    );
}
