//! The httpwg suite's expected values (JSON) in the canonical form of `shared/sf.rs`: used by
//! the host test and by `core/on-target`'s build script, which compiles the cases in.

use serde_json::Value;

/// One case as read from the suite: `(name, header_type, raw lines, must_fail, can_fail,
/// expected canonical form)`; `None` for serialisation-only cases (no `raw`).
pub type Owned = (String, String, Vec<String>, bool, bool, String);

/// Every parse case of the suite's JSON files in `dir`, in file then case order.
pub fn cases(dir: &std::path::Path) -> Vec<Owned> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the vendored suite")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for case in cases {
            let Some(raw) = case["raw"].as_array() else {
                continue;
            };
            let header_type = case["header_type"].as_str().unwrap().to_string();
            let must_fail = case["must_fail"].as_bool().unwrap_or(false);
            let expected = if must_fail {
                String::new()
            } else {
                canonical(&header_type, &case["expected"])
            };
            out.push((
                format!("{stem}: {}", case["name"].as_str().unwrap_or("?")),
                header_type,
                raw.iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect(),
                must_fail,
                case["can_fail"].as_bool().unwrap_or(false),
                expected,
            ));
        }
    }
    out
}

/// `expected` (of a field of `header_type`) in canonical form.
pub fn canonical(header_type: &str, expected: &Value) -> String {
    let mut out = String::new();
    match header_type {
        "item" => item(expected, &mut out),
        "list" => {
            for m in expected.as_array().unwrap() {
                member(m, &mut out);
            }
        }
        _ => {
            for pair in expected.as_array().unwrap() {
                out.push_str(pair[0].as_str().unwrap());
                out.push(':');
                member(&pair[1], &mut out);
            }
        }
    }
    out
}

fn text(tag: char, s: &str, out: &mut String) {
    out.push_str(&format!("{tag}{}:{s}", s.len()));
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base32") as u64;
        acc = acc << 5 | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn bare(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => {
            let thousandths = match n.as_i64() {
                Some(i) => i128::from(i) * 1000,
                None => (n.as_f64().unwrap() * 1000.0).round() as i128,
            };
            out.push_str(&format!("N{thousandths}"));
        }
        Value::String(s) => text('S', s, out),
        Value::Bool(b) => out.push_str(if *b { "?1" } else { "?0" }),
        Value::Object(o) => {
            let value = &o["value"];
            match o["__type"].as_str().unwrap() {
                "token" => text('T', value.as_str().unwrap(), out),
                "binary" => {
                    out.push('B');
                    for b in base32_decode(value.as_str().unwrap()) {
                        out.push_str(&format!("{b:02x}"));
                    }
                    out.push('.');
                }
                "date" => out.push_str(&format!("@{}", value.as_i64().unwrap())),
                "displaystring" => text('%', value.as_str().unwrap(), out),
                other => panic!("unknown type {other}"),
            }
        }
        other => panic!("unexpected bare item {other}"),
    }
}

fn params(p: &Value, out: &mut String) {
    for pair in p.as_array().unwrap() {
        out.push(';');
        out.push_str(pair[0].as_str().unwrap());
        out.push('=');
        bare(&pair[1], out);
    }
}

fn item(i: &Value, out: &mut String) {
    out.push('<');
    bare(&i[0], out);
    params(&i[1], out);
    out.push('>');
}

fn member(m: &Value, out: &mut String) {
    if m[0].is_array() {
        out.push('(');
        for i in m[0].as_array().unwrap() {
            item(i, out);
        }
        out.push(')');
        params(&m[1], out);
    } else {
        item(m, out);
    }
}
