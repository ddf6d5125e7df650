//! `chatcookie diff`: what changed between two JSON reports — keys added, removed or changed, findings added or gone.

use crate::cli::{DiffArgs, ListFormat};
use chatcookie::exit::Exit;
use chatcookie::terminal_safe;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Serialize)]
struct Diff {
    added_keys: Vec<String>,
    removed_keys: Vec<String>,
    changed_keys: Vec<String>,
    added_findings: Vec<String>,
    removed_findings: Vec<String>,
}

pub fn run(args: DiffArgs) -> anyhow::Result<Exit> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let d = diff(&old, &new);
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        ListFormat::Table => {
            for (title, items, mark) in [
                ("keys added", &d.added_keys, '+'),
                ("keys removed", &d.removed_keys, '-'),
                ("keys changed", &d.changed_keys, '~'),
                ("findings added", &d.added_findings, '+'),
                ("findings gone", &d.removed_findings, '-'),
            ] {
                println!("{title}: {}", items.len());
                for i in items {
                    println!("  {mark} {}", terminal_safe(i, 300));
                }
            }
        }
    }
    Ok(Exit::Ok)
}

/// The reports of a file written by `--format json` (one object or an array).
fn load(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = chatcookie::error::read_input(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        chatcookie::Error::usage(format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    let reports = match v {
        Value::Array(a) => a,
        one => vec![one],
    };
    if reports.iter().any(|r| r.get("observations").is_none()) {
        return Err(chatcookie::Error::usage(format!(
            "{}: not a chatcookie JSON report",
            path.display()
        ))
        .into());
    }
    Ok(reports)
}

/// Keys by a port-free identity (storage, name, host), with the facts whose change matters.
fn keys(reports: &[Value]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in reports {
        for o in r["observations"].as_array().into_iter().flatten() {
            let location = o["location"].as_str().unwrap_or_default();
            let host = url::Url::parse(location)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| location.split('/').next().unwrap_or_default().to_string());
            let id = format!(
                "{} {} ({host})",
                o["storage"].as_str().unwrap_or_default(),
                o["name"].as_str().unwrap_or_default()
            );
            let c = &o["cookie"];
            let facts = format!(
                "first at {}; {}; value #{}; vendor {}",
                o["first_step"].as_str().unwrap_or_default(),
                if c.is_null() {
                    "storage".to_string()
                } else {
                    format!(
                        "{}, http_only {}, secure {}, same_site {}",
                        if c["expires"].is_null() {
                            "session"
                        } else {
                            "persistent"
                        },
                        c["http_only"],
                        c["secure"],
                        c["same_site"]
                    )
                },
                o["value"]["sha256"].as_str().unwrap_or_default(),
                o["attribution"]["vendor"].as_str().unwrap_or("unknown"),
            );
            out.insert(id, facts);
        }
    }
    out
}

fn findings(reports: &[Value]) -> BTreeMap<String, String> {
    reports
        .iter()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{} [{}] {}",
                    f["rule"].as_str().unwrap_or_default(),
                    f["severity"].as_str().unwrap_or_default(),
                    f["message"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect()
}

fn diff(old: &[Value], new: &[Value]) -> Diff {
    let (ko, kn) = (keys(old), keys(new));
    let (fo, fnew) = (findings(old), findings(new));
    let mut d = Diff::default();
    for (id, facts) in &kn {
        match ko.get(id) {
            None => d.added_keys.push(format!("{id}: {facts}")),
            Some(before) if before != facts => {
                d.changed_keys.push(format!("{id}: {before} → {facts}"))
            }
            Some(_) => {}
        }
    }
    d.removed_keys = ko
        .keys()
        .filter(|id| !kn.contains_key(*id))
        .cloned()
        .collect();
    d.added_findings = fnew
        .iter()
        .filter(|(k, _)| !fo.contains_key(*k))
        .map(|(_, v)| v.clone())
        .collect();
    d.removed_findings = fo
        .iter()
        .filter(|(k, _)| !fnew.contains_key(*k))
        .map(|(_, v)| v.clone())
        .collect();
    d
}
