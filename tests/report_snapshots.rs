//! Markdown, CSV and declaration renderings of a fixed report, compared with snapshots in tests/snapshots/
//! (`UPDATE_SNAPSHOTS=1 cargo test --test it report_snapshots::` rewrites them), and hostile names in every document format.

use crate::common::{root, under_ci};
use chatcookie::Party;
use chatcookie::StorageKind;
use chatcookie::catalog::{Attribution, Category, DeclaredDuration};
use chatcookie::consent::ConsentRecord;
use chatcookie::observation::VendorSeen;
use chatcookie::observation::{
    Altered, CatalogFacts, CookieAttributes, Observation, ValueEvidence,
};
use chatcookie::report::{ConsentSummary, Format, Provenance, ScanReport, ScanSettings};
use chatcookie::scan::{ConsentChoice, ConsentMethod, StepRecord, StepStatus};
use chatcookie::{ConsentAction, Step};
use std::collections::{BTreeMap, BTreeSet};

const XSS: &str = "<img src=x onerror=alert(1)>";

fn cookie(name: &str, step: Step, lifetime: Option<i64>) -> Observation {
    Observation {
        storage: StorageKind::Cookie,
        name: name.into(),
        location: ".shop.test/".into(),
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
            domain: ".shop.test".into(),
            path: "/".into(),
            expires: lifetime.map(|l| 1_700_000_000.0 + l as f64),
            lifetime_seconds: lifetime,
            size: 20,
            http_only: false,
            secure: true,
            same_site: Some("Lax".into()),
            partition_key: None,
        }),
        value: ValueEvidence::of("some value", false),
        json_fields: Vec::new(),
        attribution: Attribution::Unknown { candidate: None },
        catalog: None,
        raw_value: "some value".into(),
    }
}

fn tawk_uuid() -> Observation {
    let mut o = cookie("twk_uuid_5f1a2b", Step::ChatOpen, Some(15_552_000));
    o.attribution = Attribution::Known {
        vendor: "tawkto".into(),
        key: "twk_uuid_{propertyId}".into(),
        matched: "twk_uuid_{propertyId}".into(),
        captures: BTreeMap::from([("propertyId".into(), "5f1a2b".into())]),
        confidence: chatcookie::catalog::Certainty::Certain,
        evidence: None,
        decided_by: None,
    };
    o.catalog = Some(CatalogFacts {
        vendor_name: "tawk.to".into(),
        purpose: "Identifies the visitor | across visits.".into(),
        category: Category::Functional,
        category_assessed: false,
        declared_storage: StorageKind::Cookie,
        declared_duration: DeclaredDuration::parse("6 months").unwrap(),
        storage_differs: false,
        source: "tawk-docs".into(),
        database: None,
        held_in: None,
        documented_origin: None,
    });
    o
}

fn report() -> ScanReport {
    let choice = ConsentChoice::new(
        ConsentAction::Accept,
        ConsentMethod::Click("#accept".into()),
        chatcookie::consent::CmpRules::embedded().unwrap(),
    );
    let step = |step: Step, detail: &str| StepRecord {
        step,
        page: "http://www.shop.test/home".into(),
        status: StepStatus::Done,
        detail: detail.into(),
        duration_ms: 100,
        settle_ms: 50,
        blocked_cookies: Vec::new(),
        dialogs: Vec::new(),
        consent: None,
        banner_again: None,
        screenshot: Some(format!("step-x-{step}.png")),
        screenshot_error: None,
        screenshot_png: None,
    };
    let mut hostile = cookie(XSS, Step::Load, None);
    hostile.value = ValueEvidence::of("=cmd|'/c calc'!A1", true);
    let mut piped = cookie("a|b`c`\nd", Step::Consent, Some(86_400 * 400));
    piped.removed_at = Some(Step::ChatOpen);
    piped.changes = vec![chatcookie::observation::Change {
        step: Step::ChatOpen,
        page: String::new(),
        what: vec![Altered::Removed],
    }];
    ScanReport {
        schema_version: chatcookie::report::SCHEMA_VERSION,
        provenance: Provenance {
            tool: "chatcookie".into(),
            tool_version: "0.0.0-test".into(),
            catalog_version: "test".into(),
            cookie_database: None,
            browser_version: "Chrome/1.0".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_ms: 1234,
            url: "http://www.shop.test/".into(),
            final_url: "http://www.shop.test/home".into(),
            http_status: Some(200),
            third_party_cookies: None,
            options: ScanSettings {
                consent: chatcookie::report::ConsentSetting::of(&choice),
                open_click: None,
                step_timeout_ms: 10_000,
                quiet_ms: 150,
                widget_timeout_ms: 3000,
                show_values: true,
                steps: Step::DEFAULT.to_vec(),
                screenshots: true,
                clock: chatcookie::vocab::Clock::Fast,
                message: None,
                pages: 1,
                page: Vec::new(),
                withdraw_click: None,
            },
            consent: ConsentSummary::of(
                &choice,
                Some(&ConsentRecord {
                    detected: vec!["cookiebot".into()],
                    cmp: Some("cookiebot".into()),
                    element: Some("`#accept` → <button>".into()),
                    outcome: Some("the banner closed".into()),
                    done: true,
                    ..Default::default()
                }),
            ),
            policy: None,
            fail_on: Some("never".into()),
            baseline: None,
            retried_after: None,
            visitor: chatcookie::report::VisitorSummary {
                asked: Default::default(),
                seen: None,
            },
            unreached: Vec::new(),
        },
        steps: vec![
            step(Step::Load, "navigated"),
            step(Step::Widget, "detected tawkto"),
            step(Step::Consent, "accepted: clicked `#accept`"),
            step(Step::ChatOpen, "opened the chat"),
        ],
        vendors: vec![VendorSeen {
            id: "tawkto".into(),
            name: "tawk.to".into(),
            evidence: BTreeSet::from(["global Tawk_API".to_string()]),
            evidence_at: BTreeMap::new(),
            product_of: None,
            ids: BTreeMap::new(),
        }],
        observations: vec![hostile, piped, tawk_uuid()],
        attempts: Vec::new(),
        snapshot_errors: Vec::new(),
        aborted: None,
        findings: Vec::new(),
        requests: Vec::new(),
        network: network(),
        pages: Default::default(),
    }
}

/// Two hosts contacted at load: the page's own and a vendor's; a hostile third party at consent.
fn network() -> chatcookie::network::Network {
    use chatcookie::network::{HostContact, Network, StepContacts};
    let host = |host: &str, party: Party, vendor: Option<&str>, step: Step| HostContact {
        host: host.into(),
        site: host.into(),
        party,
        vendor: vendor.map(str::to_string),
        matched_by: None,
        first_step: step,
        first_page: String::new(),
        steps: vec![StepContacts {
            step,
            page: String::new(),
            count: 1,
            samples: Vec::new(),
        }],
    };
    Network {
        total: 3,
        dropped: 0,
        cap: 2000,
        hosts_dropped: 0,
        hosts: vec![
            host("www.shop.test", Party::FirstParty, None, Step::Load),
            host(
                "embed.tawk.to",
                Party::ThirdParty,
                Some("tawkto"),
                Step::Load,
            ),
            host("<b>x</b>|y.test", Party::ThirdParty, None, Step::Consent),
        ],
    }
}

fn render(format: Format) -> String {
    let mut buf = Vec::new();
    format
        .renderer(false)
        .render(&[report()], &mut buf)
        .unwrap();
    String::from_utf8(buf).unwrap()
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        // Rewriting asserts nothing: never the run that checks a change.
        assert!(
            !under_ci(),
            "UPDATE_SNAPSHOTS rewrites the snapshots: not under CI"
        );
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it)"
    );
}

#[test]
fn markdown_matches_its_snapshot() {
    assert_snapshot("report.md", &render(Format::Markdown));
}

#[test]
fn csv_matches_its_snapshot() {
    assert_snapshot("inventory.csv", &render(Format::Csv));
}

#[test]
fn declaration_matches_its_snapshot() {
    assert_snapshot("declaration.md", &render(Format::DeclarationMd));
}

#[test]
fn hostile_names_inject_no_markup() {
    for format in [Format::Html, Format::DeclarationHtml] {
        let html = render(format);
        assert!(!html.contains("<img src=x"), "{format:?}: {html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{format:?}: {html}"
        );
        assert!(!html.contains("<button>"), "{format:?}");
    }
    let html = render(Format::Html);
    assert!(!html.contains("<b>x</b>"), "{html}");
    assert!(
        html.contains("Hosts first contacted: &lt;b&gt;x&lt;/b&gt;|y.test (third party)"),
        "{html}"
    );
    let table = render(Format::Table);
    assert!(
        table.contains("hosts first contacted: www.shop.test, embed.tawk.to (tawkto)"),
        "{table}"
    );
    let md = render(Format::Markdown);
    assert!(!md.contains("<img") && !md.contains("<button>"), "{md}");
    assert!(!md.contains("<b>x"), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"),
        "{md}"
    );
    // A newline or pipe in a name stays inside its table cell.
    assert!(md.contains("a\\|b\\`c\\`\\\\nd"), "{md}");
}

#[test]
fn csv_defuses_formulas_and_quotes_separators() {
    let csv = render(Format::Csv);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let value = header.iter().position(|h| h == "value").unwrap();
    let name = header.iter().position(|h| h == "name").unwrap();
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    assert_eq!(&records[0][name], XSS);
    assert_eq!(&records[0][value], "'=cmd|'/c calc'!A1");
    assert_eq!(&records[1][name], "a|b`c`\nd");
}

#[test]
fn jsonl_writes_one_json_object_per_report_per_line() {
    let mut buf = Vec::new();
    let mut second = report();
    second.provenance.url = "https://www.second.test/".into();
    Format::Jsonl
        .renderer(false)
        .render(&[report(), second], &mut buf)
        .unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // Hostile names with newlines and control characters stay inside their line.
    let urls: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["observations"].as_array().unwrap().len(), 3);
            v["provenance"]["url"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(urls[1], "https://www.second.test/");
    assert_ne!(urls[0], urls[1]);
}

#[test]
fn the_json_report_reads_back_and_renders_the_same_in_every_format() {
    let json = render(Format::Json);
    let back = chatcookie::report::parse_json(&json).unwrap();
    assert_eq!(back.len(), 1);
    for format in [
        Format::Json,
        Format::Markdown,
        Format::Html,
        Format::Csv,
        Format::Sarif,
        Format::Junit,
        Format::DeclarationMd,
        Format::DeclarationHtml,
        Format::Table,
    ] {
        let mut again = Vec::new();
        format.renderer(false).render(&back, &mut again).unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            render(format),
            "{format:?} differs after reading the JSON back"
        );
    }
}

#[test]
fn a_file_that_is_not_a_report_is_refused_with_where() {
    let err = chatcookie::report::parse_json("{\n  \"schema_version\": 1,\n  \"steps\": 3\n}")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("3:"), "{err}");
    assert!(err.contains("not a chatcookie JSON report"), "{err}");
    let err = chatcookie::report::parse_json("[{\"a\": }]")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("1:8: not JSON"), "{err}");
    let newer = render(Format::Json).replacen("\"schema_version\": 1", "\"schema_version\": 99", 1);
    let newer = newer.replacen("\"provenance\"", "\"provenance_v99\"", 1);
    let err = chatcookie::report::parse_json(&newer)
        .unwrap_err()
        .to_string();
    assert!(err.contains("schema version 99 is newer"), "{err}");
}
