//! A PostgreSQL store against a real server (Debian's postgresql, started by the test): sharded
//! runs of a fleet write one history, and a database that cannot serve is refused before a scan.

use crate::common::pg_server;

use crate::common::{LIMIT, bin, finish_within, root, run_within, site_dir, text};
use pg_server::PostgresServer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

const SITES: [&str; 4] = [
    "plain-site",
    "web1on1-eager",
    "analytics-shop",
    "tawkto-shop",
];

/// One shard of a night's run: `scan --urls LIST --shard k/2 --store URL`, its reports as JSONL.
fn shard(list: &std::path::Path, k: usize, store: &str) -> std::process::Child {
    let mut cmd = bin();
    cmd.args(["scan", "--urls"])
        .arg(list)
        .args([
            "--shard",
            &format!("{k}/2"),
            "--store",
            store,
            "--format",
            "jsonl",
            "--widget-timeout",
            "1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

/// The SQL blocks of docs/store.md's "Example queries in PostgreSQL" section.
fn documented_queries() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/store.md")).unwrap();
    let section = doc
        .split("## Example queries in PostgreSQL")
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

#[test]
fn two_sharded_runs_into_one_postgres_store_give_one_history() {
    let Some(server) = PostgresServer::start() else {
        return;
    };
    let store = server.database("fleet");
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("sites.txt");
    let dirs: Vec<String> = SITES
        .iter()
        .map(|s| site_dir(s).to_str().unwrap().to_string())
        .collect();
    std::fs::write(&list, dirs.join("\n") + "\n").unwrap();

    // Two nights; each night two shards run at once, as two machines of a fleet would (the first
    // night they also race to create the tables).
    let mut keys: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for night in 1..=2 {
        let children: Vec<_> = (1..=2).map(|k| shard(&list, k, &store)).collect();
        for child in children {
            let out = finish_within(child, LIMIT);
            assert_eq!(out.status.code(), Some(0), "night {night}: {}", text(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("recorded as scan #"), "{stderr}");
            assert!(
                stderr.contains("postgres://postgres@127.0.0.1"),
                "the store is named: {stderr}"
            );
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let r: Value = serde_json::from_str(line).unwrap();
                let host = url::Url::parse(r["provenance"]["url"].as_str().unwrap())
                    .unwrap()
                    .host_str()
                    .unwrap()
                    .to_string();
                keys.entry(host)
                    .or_default()
                    .push(r["observations"].as_array().unwrap().len());
            }
        }
    }
    assert_eq!(keys.len(), SITES.len(), "{keys:?}");

    // One history: every site of both shards, each with both nights, the second compared with
    // the first, the key counts those of the reports.
    for (host, counts) in &keys {
        let mut cmd = bin();
        cmd.args(["history", host, "--store", &store, "--format", "json"]);
        let out = run_within(cmd, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0), "{host}: {}", text(&out));
        let h: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(h["scans_on_record"], 2, "{host}: {h}");
        let scans = h["scans"].as_array().unwrap();
        assert_eq!(scans[0]["first_on_record"], true);
        assert_eq!(scans[1]["compared_with"], scans[0]["id"], "{host}");
        let stored: Vec<usize> = scans
            .iter()
            .map(|s| s["keys"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(&stored, counts, "{host}");
        assert!(!scans[1]["changes"].is_null(), "{host}: {h}");
    }
    // The table form names the store without a password.
    let mut cmd = bin();
    cmd.args(["history", "www.plain-site.test", "--store", &store]);
    let out = run_within(cmd, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 scans on record in postgres://"),
        "{}",
        text(&out)
    );

    // The documented queries run on PostgreSQL as they do on SQLite, and return rows.
    let mut db = server.client("fleet");
    let queries = documented_queries();
    assert_eq!(queries.len(), 4, "{queries:?}");
    for q in &queries {
        let rows = db
            .query(q.as_str(), &[])
            .unwrap_or_else(|e| panic!("{e}: {q}"));
        assert!(!rows.is_empty(), "no rows from {q}");
    }
    let scans: i64 = db
        .query_one("SELECT COUNT(*) FROM scans", &[])
        .unwrap()
        .get(0);
    assert_eq!(scans, 2 * SITES.len() as i64);
}

#[test]
fn a_postgres_store_that_cannot_serve_is_refused_before_the_scan() {
    let Some(server) = PostgresServer::start() else {
        return;
    };
    let dir = site_dir("plain-site");
    let scan_into = |store: &str| {
        let mut cmd = bin();
        cmd.args(["scan", dir.to_str().unwrap(), "--store", store]);
        run_within(cmd, Duration::from_secs(30))
    };

    // Nothing listens: refused at once, the password not shown.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://fleet:s3cret-pw@127.0.0.1:{port}/fleet");
    let out = scan_into(&url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("cannot connect to the store"), "{t}");
    assert!(t.contains("postgres://fleet:***@127.0.0.1"), "{t}");
    assert!(!t.contains("s3cret-pw"), "{t}");
    assert!(out.stdout.is_empty(), "no scan ran: {t}");

    // A malformed URL and TLS that chatcookie cannot speak: usage errors.
    for (bad, says) in [
        ("postgres://127.0.0.1:notaport/x", "is not a PostgreSQL URL"),
        (
            "postgres://postgres@127.0.0.1/x?sslmode=require",
            "sslmode=require",
        ),
    ] {
        let out = scan_into(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains(says), "{bad}: {}", text(&out));
    }

    // A database whose `scans` table is another program's is left alone.
    let other = server.database("other");
    server
        .client("other")
        .batch_execute("CREATE TABLE scans (id int); INSERT INTO scans VALUES (7)")
        .unwrap();
    let out = scan_into(&other);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("another program"), "{}", text(&out));
    let n: i64 = server
        .client("other")
        .query_one("SELECT COUNT(*) FROM scans", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);

    // history on a database without a store: exit 2, and nothing is created.
    let empty = server.database("empty");
    let mut cmd = bin();
    cmd.args(["history", "www.plain-site.test", "--store", &empty]);
    let out = run_within(cmd, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("holds no chatcookie store"),
        "{}",
        text(&out)
    );
    let tables: i64 = server
        .client("empty")
        .query_one(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}
