//! The store on synthetic reports: schema creation and refusal, the site rule, and the scan-to-scan comparison.

use super::read::bare_host;
use super::*;
use crate::catalog::Attribution;
use crate::findings::{Finding, KeyRef};
use crate::observation::Observation;
use crate::observation::{CookieAttributes, ValueEvidence};
use crate::report::ScanReport;
use crate::report::{ConsentSummary, Provenance, ScanSettings};
use crate::scan::{ConsentChoice, ConsentMethod};
use crate::vocab::{ConsentAction, Party, Rule, Severity, Step, StorageKind};
use rusqlite::Connection;

#[test]
fn the_site_is_scheme_and_host_without_port() {
    assert_eq!(
        site_key("http://WWW.Shop.TEST:41234/path?q=1").as_deref(),
        Some("http://www.shop.test")
    );
    assert_eq!(
        site_key("https://www.example.com./").as_deref(),
        Some("https://www.example.com")
    );
    assert_eq!(site_key("ftp://example.com/"), None);
    assert_eq!(site_key("www.example.com"), None);
    assert_eq!(bare_host("WWW.Example.com:8080/x"), "www.example.com");
    assert_eq!(bare_host("www.example.com"), "www.example.com");
}

#[test]
fn timestamps_normalise_to_sortable_utc() {
    assert_eq!(
        timestamp_key("2026-11-23T19:40:12.123456789+01:00").as_deref(),
        Some("2026-11-23T18:40:12.123Z")
    );
    assert_eq!(
        timestamp_key("2026-11-01").as_deref(),
        Some("2026-11-01T00:00:00.000Z")
    );
    assert_eq!(timestamp_key("last month"), None);
    assert_eq!(
        short_time("2026-11-23T18:40:12.123Z"),
        "2026-11-23 18:40 UTC"
    );
}

#[test]
fn a_new_store_gets_the_schema_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    assert!(Store::check_usable(&path).is_ok());
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!((version, app), (SCHEMA_VERSION, APPLICATION_ID));
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
    assert_eq!(tables, ["findings", "observations", "scans"]);
    drop(conn);
    assert!(Store::check_usable(&path).is_ok());
    let mut store = Store::open_existing(&path).unwrap();
    assert!(store.sites().unwrap().is_empty());
    let err = store.resolve_site("www.shop.test").unwrap_err().to_string();
    assert!(err.contains("holds no scans yet"), "{err}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite");
    let text = "these are my notes, not a database\n".repeat(40);
    std::fs::write(&path, &text).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(
        format!("{err:#}").contains("is not an SQLite file"),
        "{err:#}"
    );
    assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    assert!(Store::check_usable(&path).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn another_programs_database_and_a_newer_schema_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.sqlite");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = format!("{:#}", Store::open(&other).err().unwrap());
    assert!(err.contains("another program"), "{err}");

    let newer = dir.path().join("newer.sqlite");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = format!("{:#}", Store::open(&newer).err().unwrap());
    assert!(err.contains("newer chatcookie"), "{err}");
    assert!(Store::check_usable(&newer).is_err());
}

#[test]
fn a_missing_directory_is_refused_before_the_scan() {
    let err = Store::check_usable(Path::new("/nonexistent-dir/history.sqlite")).unwrap_err();
    let err = err.to_string();
    assert!(err.contains("does not exist"), "{err}");
}

fn names(keys: &[KeyState]) -> Vec<&str> {
    keys.iter().map(|k| k.name.as_str()).collect()
}

fn report(url: &str, started_at: &str, observations: Vec<Observation>) -> ScanReport {
    let consent = ConsentChoice::new(
        ConsentAction::Accept,
        ConsentMethod::Click("#cc-accept".into()),
        crate::consent::CmpRules::embedded().unwrap(),
    );
    ScanReport {
        schema_version: 1,
        provenance: Provenance {
            tool: "chatcookie".into(),
            tool_version: "test".into(),
            catalog_version: "2026-01-01+abcdef12".into(),
            cookie_database: None,
            browser_version: "Chromium/1".into(),
            started_at: started_at.into(),
            duration_ms: 1200,
            url: url.into(),
            final_url: url.into(),
            http_status: Some(200),
            third_party_cookies: None,
            options: ScanSettings {
                consent: crate::report::ConsentSetting::of(&consent),
                open_click: None,
                step_timeout_ms: 0,
                quiet_ms: 0,
                widget_timeout_ms: 0,
                show_values: true,
                steps: Step::DEFAULT.to_vec(),
                screenshots: false,
                clock: crate::vocab::Clock::Fast,
                message: None,
                pages: 1,
                page: Vec::new(),
                withdraw_click: None,
            },
            consent: ConsentSummary::of(&consent, None),
            policy: None,
            fail_on: None,
            baseline: None,
            retried_after: None,
            visitor: crate::report::VisitorSummary {
                asked: Default::default(),
                seen: None,
            },
            unreached: Vec::new(),
        },
        steps: Vec::new(),
        vendors: Vec::new(),
        observations,
        attempts: Vec::new(),
        snapshot_errors: Vec::new(),
        aborted: None,
        findings: Vec::new(),
        requests: Vec::new(),
        network: Default::default(),
        pages: Default::default(),
    }
}

fn cookie(name: &str, step: Step, lifetime: Option<i64>, value: &str) -> Observation {
    Observation {
        storage: StorageKind::Cookie,
        name: name.into(),
        location: "www.shop.test/".into(),
        party: Party::FirstParty,
        storage_key: None,
        frame_url: None,
        first_step: step,
        removed_at: None,
        first_page: String::new(),
        removed_page: None,
        out_of_sight: false,
        changes: Vec::new(),
        cookie: Some(CookieAttributes {
            domain: "www.shop.test".into(),
            path: "/".into(),
            expires: lifetime.map(|l| l as f64),
            lifetime_seconds: lifetime,
            size: 1,
            http_only: false,
            secure: false,
            same_site: Some("Lax".into()),
            partition_key: None,
        }),
        // As a report built with --show-values carries it.
        value: ValueEvidence::of(value, true),
        json_fields: Vec::new(),
        attribution: Attribution::Unknown { candidate: None },
        catalog: None,
        raw_value: value.into(),
    }
}

fn storage_item(name: &str, origin: &str) -> Observation {
    Observation {
        storage: StorageKind::LocalStorage,
        name: name.into(),
        location: origin.into(),
        party: Party::FirstParty,
        storage_key: Some(format!("{origin}/")),
        frame_url: Some(format!("{origin}/")),
        first_step: Step::Load,
        removed_at: None,
        first_page: String::new(),
        removed_page: None,
        out_of_sight: false,
        changes: Vec::new(),
        cookie: None,
        value: ValueEvidence::of("secret-token-value", true),
        json_fields: Vec::new(),
        attribution: Attribution::Unknown { candidate: None },
        catalog: None,
        raw_value: "secret-token-value".into(),
    }
}

#[test]
fn recorded_scans_come_back_as_history_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let mut store = Store::open(&path).unwrap();
    let first = report(
        "http://www.shop.test:40001/",
        "2026-10-01T10:00:00Z",
        vec![
            cookie("site_lang", Step::Load, Some(31_536_000), "secret-lang"),
            storage_item("widget_uuid", "http://www.shop.test:40001"),
        ],
    );
    let mut second = report(
        "http://www.shop.test:40777/",
        "2026-11-01T10:00:00Z",
        vec![
            cookie("site_lang", Step::Load, None, "secret-lang"),
            storage_item("widget_uuid", "http://www.shop.test:40777"),
            cookie("_ga", Step::Load, Some(63_072_000), "secret-ga"),
        ],
    );
    second.findings.push(Finding {
        rule: Rule::BeforeConsent,
        severity: Severity::High,
        severity_reason: "high: analytics storage without consent".into(),
        message: "`_ga` stored before consent".into(),
        key: Some(KeyRef {
            storage: StorageKind::Cookie,
            name: "_ga".into(),
            location: "www.shop.test/".into(),
        }),
        step: Some(Step::Load),
        page: None,
        evidence: vec!["first stored at step `load`".into()],
        policy_line: None,
        fingerprint: "before-consent|cookie|_ga|shop.test".into(),
        gating: true,
        in_baseline: false,
    });
    // A request whose query value a report with --show-values shows.
    second.requests.push(
        serde_json::from_value(serde_json::json!({
            "step": "load", "url": "https://va.tawk.to/v?visitor=secret-query", "host": "va.tawk.to",
            "method": "GET", "resource_type": "XHR", "initiator": "script",
            "initiator_url": "https://www.shop.test/?q=secret-initiator", "status": 200,
            "party": "third-party", "vendor": "tawkto"
        }))
        .unwrap(),
    );
    let a = store.record(&first).unwrap();
    let b = store.record(&second).unwrap();
    assert!(b > a);

    let h = store.history("www.shop.test", 10).unwrap();
    assert_eq!(h.site, "http://www.shop.test");
    assert_eq!(h.scans.len(), 2);
    assert!(h.scans[0].first_on_record && h.scans[0].changes.is_none());
    let c = h.scans[1].changes.as_ref().unwrap();
    // The port changed between runs; the storage item is the same key all the same.
    assert_eq!(names(&c.new_keys), ["_ga"]);
    assert!(c.gone_keys.is_empty());
    assert_eq!(c.changed_keys.len(), 1);
    assert_eq!(c.changed_keys[0].changes[0].attribute, "expiry_class");
    assert_eq!(c.new_findings.len(), 1);
    assert_eq!(h.scans[1].scan.gating_findings, 1);
    assert_eq!(h.scans[1].compared_with, Some(a));

    // --limit 1 still compares the scan shown with the one before it.
    let h = store.history("http://www.shop.test:1/", 1).unwrap();
    assert_eq!(h.scans.len(), 1);
    assert!(!h.scans[0].first_on_record);
    assert_eq!(h.scans[0].compared_with, Some(a));
    let h = store
        .history_since("www.shop.test", 10, Some("2026-10-15T00:00:00.000Z"))
        .unwrap();
    assert_eq!(h.scans.len(), 1);
    assert_eq!(h.scans_on_record, 2);

    let err = store
        .resolve_site("www.other.test")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("it holds: http://www.shop.test (2 scans"),
        "{err}"
    );

    // Values never reach the file, not even from a report that shows them.
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(dir.path().join("h.sqlite-wal")).unwrap_or_default();
    for secret in [
        "secret-lang",
        "secret-ga",
        "secret-token-value",
        "secret-query",
        "secret-initiator",
    ] {
        let hit = |b: &[u8]| b.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!hit(&bytes) && !hit(&wal), "{secret} was stored");
    }
}

#[test]
fn writers_at_once_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    // Four jobs create and fill the same new file at the same time.
    let writers: Vec<_> = (0..4)
        .map(|job| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..5 {
                    let url = format!("http://www.job{job}.test/");
                    let at = format!("2026-11-0{}T10:00:00Z", i + 1);
                    store
                        .record(&report(&url, &at, vec![cookie("a", Step::Load, None, "v")]))
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut store = Store::open_existing(&path).unwrap();
    let sites = store.sites().unwrap();
    assert_eq!(sites.len(), 4);
    assert!(sites.iter().all(|s| s.scans == 5), "{sites:?}");
}

#[test]
fn a_postgres_url_is_a_database_and_its_password_is_never_shown() {
    let loc = StoreLocation::parse("postgres://fleet:s3cret@db.internal:5433/scans").unwrap();
    assert!(matches!(loc, StoreLocation::Postgres(_)));
    assert_eq!(
        loc.to_string(),
        "postgres://fleet:***@db.internal:5433/scans"
    );
    let loc = StoreLocation::parse("POSTGRESQL://u@h/d?password=pw&application_name=x").unwrap();
    assert!(!loc.to_string().contains("pw&"), "{loc}");
    assert!(loc.to_string().contains("password=***"), "{loc}");
    // Anything else is a file, however it looks.
    assert_eq!(
        StoreLocation::parse("nightly.sqlite").unwrap(),
        StoreLocation::File("nightly.sqlite".into())
    );
    assert!(StoreLocation::parse("").is_err());
    // What is wrong with a URL is said without it.
    let err = Store::check_usable(StoreLocation::parse("postgres://u:pw@h:notaport/d").unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a PostgreSQL URL"), "{err}");
    assert!(!err.contains(":pw@"), "{err}");
}

#[test]
fn a_store_of_the_first_schema_is_read_as_it_is_and_upgraded_to_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let mut store = Store::open(&path).unwrap();
    store
        .record(&report(
            "http://www.shop.test:40001/",
            "2026-10-01T10:00:00Z",
            vec![cookie("site_lang", Step::Load, None, "x")],
        ))
        .unwrap();
    drop(store);
    // Schema 1: the same tables without the journey's page columns.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE observations DROP COLUMN first_page;
         ALTER TABLE findings DROP COLUMN page;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    assert!(Store::check_usable(&path).is_ok());
    let mut old = Store::open_existing(&path).unwrap();
    assert_eq!(old.history("www.shop.test", 10).unwrap().scans.len(), 1);
    drop(old);
    let mut store = Store::open(&path).unwrap();
    let mut journey = report(
        "http://www.shop.test:40002/",
        "2026-10-02T10:00:00Z",
        vec![cookie("site_lang", Step::Load, None, "x")],
    );
    journey.observations[0].first_page = "http://www.shop.test:40002/contact/".into();
    store.record(&journey).unwrap();
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let pages: Vec<Option<String>> = conn
        .prepare("SELECT first_page FROM observations ORDER BY scan_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        pages,
        [
            None,
            Some("http://www.shop.test:40002/contact/".to_string())
        ]
    );
}
