//! Scan history end to end: two real scans into one store, `history` over them, and the documented SQL.

use crate::common::{chatcookie, root, site_dir, text};
use serde_json::Value;
use std::path::Path;

/// Scans a fixture directory under the shared host name into `store`; returns the JSON report.
fn scan_into(store: &Path, site: &str, extra: &[&str]) -> Value {
    let dir = site_dir(site);
    let mut args = vec![
        "scan",
        dir.to_str().unwrap(),
        "--host",
        "www.shop.test",
        "--consent-click",
        "#cc-accept",
        // Wider than the default: CI runs two Chromiums on two cores (see tests/common).
        "--quiet",
        "400ms",
        "--format",
        "json",
        "--store",
        store.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = chatcookie(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recorded as scan #"),
        "{}",
        text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The SQL blocks of docs/store.md's "Example queries" section.
fn documented_queries() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/store.md")).unwrap();
    let section = doc
        .split("## Example queries")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    section
        .split("```sql\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_string())
        .collect()
}

fn names(keys: &Value) -> Vec<&str> {
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect()
}

#[test]
fn two_scans_of_one_site_show_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("history.sqlite");
    let store_arg = store.to_str().unwrap();
    // plain-site: site_lang at load, _ga after consent. web1on1-eager under the same host name:
    // Web1on1 keys and _ga at load, no site_lang. Values are shown in the report, never stored.
    scan_into(&store, "plain-site", &[]);
    let second = scan_into(&store, "web1on1-eager", &["--show-values"]);

    let out = chatcookie(&["history", "www.shop.test", "--store", store_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Scan history of http://www.shop.test: 2 scans on record",
        "· scan #1 · 3 keys,",
        "  first scan on record\n",
        "· scan #2 · 8 keys,",
        "  compared with scan #1\n",
        "  + new      localStorage widget_uuid on http://www.shop.test  (web1on1, first at load,",
        "  - gone     cookie site_lang on www.shop.test\n",
        "  ~ changed  cookie _ga on .shop.test: first step consent → load\n",
        "  findings new (",
        "    + vendor-promise [high] Web1on1: `widget_uuid` was stored at `load`",
        "  findings resolved (",
        "    - unknown [low] `site_lang` (cookie)",
    ] {
        assert!(
            table.contains(expected),
            "{expected:?} missing in:\n{table}"
        );
    }

    // A URL names the same site whatever its port and path.
    let out = chatcookie(&[
        "history",
        "http://WWW.shop.test:1234/any/path",
        "--store",
        store_arg,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["store_schema_version"],
        chatcookie::store::SCHEMA_VERSION
    );
    assert_eq!(json["site"], "http://www.shop.test");
    let scans = json["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0]["first_on_record"], true);
    assert!(scans[0]["changes"].is_null());
    assert_eq!(scans[1]["compared_with"], scans[0]["id"]);
    let changes = &scans[1]["changes"];
    let new_keys = names(&changes["new_keys"]);
    for key in [
        "widget_uuid",
        "widget_loaded",
        "61f0c2a9b8e7d6c5b4a39281.clientId",
    ] {
        assert!(new_keys.contains(&key), "{key} not new: {new_keys:?}");
    }
    assert_eq!(names(&changes["gone_keys"]), ["site_lang"]);
    let changed = &changes["changed_keys"][0];
    assert_eq!(changed["key"]["name"], "_ga");
    assert_eq!(
        changed["changes"],
        serde_json::json!([{"attribute": "first_step", "before": "consent", "after": "load"}])
    );
    assert!(
        changes["new_findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "vendor-promise")
    );
    assert!(
        changes["resolved_findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key_name"] == "site_lang")
    );

    // --limit 1: the latest scan alone, still compared with the one before it.
    let out = chatcookie(&[
        "history",
        "www.shop.test",
        "--store",
        store_arg,
        "--limit",
        "1",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scans"].as_array().unwrap().len(), 1);
    assert_eq!(json["scans_on_record"], 2);
    assert!(!json["scans"][0]["changes"].is_null());

    // An unknown site: exit 2, and the sites the store does hold.
    let out = chatcookie(&["history", "www.elsewhere.test", "--store", store_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("it holds: http://www.shop.test (2 scans"),
        "{}",
        text(&out)
    );

    // The documented queries run on the store; one of them names the keys stored before consent.
    let db = rusqlite::Connection::open(&store).unwrap();
    let queries = documented_queries();
    assert_eq!(queries.len(), 4, "{queries:?}");
    for q in &queries {
        let mut stmt = db.prepare(q).unwrap_or_else(|e| panic!("{e}: {q}"));
        let columns = stmt.column_count();
        let rows: Vec<Vec<String>> = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!rows.is_empty(), "no rows from {q}");
    }
    let before_consent = queries
        .iter()
        .find(|q| q.contains("first_step IN ('load', 'widget')"))
        .unwrap();
    let keys: Vec<(String, String)> = db
        .prepare(before_consent)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for key in ["widget_uuid", "_ga"] {
        assert!(
            keys.contains(&("http://www.shop.test".into(), key.into())),
            "{key} not before consent: {keys:?}"
        );
    }
    // The latest scan's keys only: site_lang is gone.
    assert!(!keys.iter().any(|(_, k)| k == "site_lang"), "{keys:?}");
    drop(db);

    // The report showed values; the store has none of them.
    let mut bytes = std::fs::read(&store).unwrap();
    bytes.extend(std::fs::read(tmp.path().join("history.sqlite-wal")).unwrap_or_default());
    let values: Vec<&str> = second["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["value"]["value"].as_str())
        // Long enough not to occur by chance in names and messages ("accepted" does).
        .filter(|v| v.len() >= 12)
        .collect();
    assert!(!values.is_empty());
    for v in values {
        assert!(
            !bytes.windows(v.len()).any(|w| w == v.as_bytes()),
            "value {v:?} is in the store"
        );
    }
}

#[test]
fn a_file_that_is_not_a_store_is_refused_before_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes.sqlite");
    std::fs::write(&notes, "not a database\n").unwrap();
    let dir = site_dir("plain-site");
    let started = std::time::Instant::now();
    let out = chatcookie(&[
        "scan",
        dir.to_str().unwrap(),
        "--store",
        notes.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not an SQLite file"),
        "{}",
        text(&out)
    );
    // Refused at once, not after a scan.
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "not a database\n");

    let out = chatcookie(&[
        "history",
        "www.shop.test",
        "--store",
        notes.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not an SQLite file"),
        "{}",
        text(&out)
    );
}
