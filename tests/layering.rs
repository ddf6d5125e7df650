//! The module tree is the pipeline: every library module imports only modules declared before
//! it in `src/lib.rs` (its layer order), and `docs/architecture.md` lists the same order.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The library's top-level modules, bottom layer first, as `src/lib.rs` declares them.
fn layers() -> Vec<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Source without comments and string literals (a path in a doc comment or a message is no import).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i + 1 < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i..].starts_with(b"r#\"") {
            i += 3;
            while i + 1 < b.len() && !b[i..].starts_with(b"\"#") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal such as '"' or '\n' (lifetimes have no closing quote).
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// The top-level modules a path after `crate::` names: `a::b` gives `a`, `{a::b, c}` gives `a`, `c`.
fn named(after: &str) -> Vec<String> {
    let ident = |s: &str| -> Option<String> {
        let s = s.trim_start();
        let n: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        (!n.is_empty()).then_some(n)
    };
    let Some(group) = after.trim_start().strip_prefix('{') else {
        return ident(after).into_iter().collect();
    };
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.extend(ident(&group[start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.extend(ident(&group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let layers = layers();
    assert!(
        layers.len() > 10,
        "src/lib.rs declares the layers: {layers:?}"
    );
    let rank = |m: &str| layers.iter().position(|l| l == m);
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut wrong = BTreeSet::new();
    let mut checked = 0;
    for file in files {
        let rel = file.strip_prefix(root().join("src")).unwrap().to_path_buf();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        let module = parts[0].clone();
        // The binary (main, cli, commands) is the top: it may use any layer.
        let Some(own) = rank(&module) else {
            assert!(
                ["main", "cli", "commands", "lib"].contains(&module.as_str()),
                "{} belongs to no layer: declare it in src/lib.rs",
                rel.display()
            );
            continue;
        };
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        // `super::` from a module's root file (src/x.rs or src/x/mod.rs) is the crate root.
        let at_root = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod");
        let mut uses: Vec<(String, String)> = Vec::new();
        for (i, _) in code.match_indices("crate::") {
            let at = &code[i + "crate::".len()..];
            for m in named(at) {
                uses.push((m, code[i..].chars().take(60).collect()));
            }
        }
        if at_root {
            for (i, _) in code.match_indices("super::") {
                let at = &code[i + "super::".len()..];
                for m in named(at) {
                    uses.push((m, code[i..].chars().take(60).collect()));
                }
            }
        }
        for (m, snippet) in uses {
            checked += 1;
            if let Some(r) = rank(&m)
                && r >= own
                && m != module
            {
                wrong.insert(format!(
                    "{} (layer `{module}`) imports `{m}`, which is not below it: {}",
                    rel.display(),
                    snippet.lines().next().unwrap_or_default()
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "the scan found the crate's imports ({checked})"
    );
    assert!(
        wrong.is_empty(),
        "imports against the layer order of src/lib.rs:\n  {}",
        wrong.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_architecture_document_lists_the_layers_in_their_order() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    // The layer table: rows that start with "| `module`".
    let listed: Vec<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    assert_eq!(
        listed,
        layers(),
        "docs/architecture.md's layer table must list src/lib.rs's layers in order"
    );
}

#[test]
fn the_import_scanner_sees_groups_and_ignores_comments_and_strings() {
    assert_eq!(named("{a::b, c, d::{e, f}}; x"), ["a", "c", "d"]);
    assert_eq!(named("report::Format"), ["report"]);
    let code = code_only("// crate::x\nlet s = \"crate::y\"; use crate::z; let c = '\"';");
    assert!(!code.contains("crate::x") && !code.contains("crate::y"));
    assert!(code.contains("crate::z"));
}
