//! Compiles the shared bodies' list and every httpwg case into the image: a device has no
//! file system to read them from.

#[path = "../tests/sf_expected/mod.rs"]
mod sf_expected;

use std::fmt::Write;
use std::path::Path;

fn main() {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../tests/shared");
    println!("cargo:rerun-if-changed=../tests/sf_expected");
    println!("cargo:rerun-if-changed=../tests/data/structured-field-tests");

    // Every body: a `pub fn name() {` in the shared modules, with its `#[cfg]` lines.
    let mut bodies = String::from("pub const BODIES: &[(&str, fn())] = &[\n");
    for module in ["limiter", "headers", "dates", "device"] {
        let src = std::fs::read_to_string(format!("../tests/shared/{module}.rs")).unwrap();
        let mut cfgs = Vec::new();
        for line in src.lines() {
            if line.starts_with("#[cfg(") {
                cfgs.push(line.to_string());
            } else if let Some(rest) = line.strip_prefix("pub fn ") {
                if let Some(name) = rest.strip_suffix("() {") {
                    for cfg in &cfgs {
                        writeln!(bodies, "    {cfg}").unwrap();
                    }
                    writeln!(
                        bodies,
                        "    (\"{module}::{name}\", shared::{module}::{name}),"
                    )
                    .unwrap();
                }
                cfgs.clear();
            } else if !line.starts_with("#[") && !line.starts_with("///") {
                cfgs.clear();
            }
        }
    }
    bodies.push_str("];\n");
    std::fs::write(out.join("bodies.rs"), bodies).unwrap();

    let cases = sf_expected::cases(Path::new("../tests/data/structured-field-tests"));
    let mut text = String::from("pub static CASES: &[shared::sf::Case<'static>] = &[\n");
    for (name, header_type, raw, must_fail, can_fail, expected) in cases {
        write!(
            text,
            "    shared::sf::Case {{ name: {name:?}, header_type: {header_type:?}, raw: &["
        )
        .unwrap();
        for line in raw {
            text.push_str("b\"");
            for byte in line.bytes() {
                write!(text, "\\x{byte:02x}").unwrap();
            }
            text.push_str("\", ");
        }
        writeln!(
            text,
            "], must_fail: {must_fail}, can_fail: {can_fail}, expected: {expected:?} }},"
        )
        .unwrap();
    }
    text.push_str("];\n");
    std::fs::write(out.join("sf_cases.rs"), text).unwrap();
}
