//! Requests per step and `transfer-before-consent`, in the real Chromium against fixture sites
//! served on loopback under the vendors' own host names.

use crate::common::*;
use chatcookie::catalog::Catalog;
use chatcookie::findings::{self, Finding};
use chatcookie::report::ScanReport;
use chatcookie::{ConsentAction, Party, Rule, Severity, Step, ThirdPartyCookies};
use std::time::Duration;

/// Scans `site` answering `action` (with the fixture's own button) through the default steps,
/// judged without a policy.
fn scan(site: &str, action: ConsentAction, step_timeout: Duration) -> (ScanReport, Vec<Finding>) {
    let report = scan_site_with(site, action, ThirdPartyCookies::Block, |o| {
        o.settings.step_timeout = step_timeout;
        o.settings.steps = Step::DEFAULT.to_vec();
    });
    let catalog = Catalog::embedded().unwrap();
    let found = findings::evaluate(&report.facts(), &catalog, None);
    (report, found)
}

fn transfers(found: &[Finding]) -> Vec<&Finding> {
    found
        .iter()
        .filter(|f| f.rule == Rule::TransferBeforeConsent)
        .collect()
}

#[test]
fn a_vendor_script_loaded_at_load_is_a_transfer_before_consent() {
    let (report, found) = scan(
        "tawkto-shop",
        ConsentAction::Accept,
        Duration::from_secs(10),
    );
    let embed: Vec<_> = report
        .requests
        .iter()
        .filter(|r| r.host == "embed.tawk.to")
        .collect();
    assert_eq!(embed.len(), 1, "{:#?}", report.requests);
    let r = embed[0];
    assert_eq!(r.step, Step::Load);
    assert_eq!(r.vendor.as_deref(), Some("tawkto"));
    assert_eq!(r.party, Party::ThirdParty);
    assert_eq!(r.resource_type, "Script");
    assert_eq!(r.status, Some(200));
    assert_eq!(r.frame.as_deref(), Some("top"));
    // The snippet inserts the script from an inline script of the page.
    assert_eq!(r.initiator, "script");
    assert!(
        r.initiator_url
            .as_deref()
            .is_some_and(|u| u.contains("www.tawkto-shop.test")),
        "{r:?}"
    );
    // The page's own document is first-party, at load.
    let doc = report
        .requests
        .iter()
        .find(|r| r.resource_type == "Document")
        .unwrap();
    assert_eq!(
        (doc.host.as_str(), doc.step, doc.party),
        ("www.tawkto-shop.test", Step::Load, Party::FirstParty)
    );
    // The widget's chat socket, from Network.webSocketCreated: the vendor's, its query redacted.
    let socket = report
        .requests
        .iter()
        .find(|r| r.resource_type == "WebSocket")
        .unwrap_or_else(|| panic!("no WebSocket in {:#?}", report.requests));
    assert_eq!(socket.host, "vsa42.tawk.to");
    assert_eq!(socket.step, Step::Load);
    assert_eq!(socket.vendor.as_deref(), Some("tawkto"));
    assert!(socket.url.starts_with("ws://vsa42.tawk.to:"), "{socket:?}");
    assert!(socket.url.ends_with("/s/?k=[redacted]"), "{socket:?}");
    assert!(
        !socket.url.contains("5f2b1c9e8a4d3b0012c7e6a1"),
        "{socket:?}"
    );
    // One finding for the vendor, naming both its hosts, not one per request.
    let t = transfers(&found);
    assert_eq!(t.len(), 1, "{t:#?}");
    let f = t[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.step, Some(Step::Load));
    assert_eq!(f.fingerprint, "transfer-before-consent|vendor:tawkto");
    assert!(
        f.message
            .contains("hosts `embed.tawk.to`, `vsa42.tawk.to` were contacted from `load`"),
        "{}",
        f.message
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("GET Script http://embed.tawk.to:")
                && e.contains("initiated by script")),
        "{:#?}",
        f.evidence
    );
    assert!(f.severity_reason.contains("3 O 17493/20"));
    let host = report
        .network
        .hosts
        .iter()
        .find(|h| h.host == "embed.tawk.to")
        .unwrap();
    assert_eq!(host.first_step, Step::Load);
    assert_eq!(
        host.matched_by.as_deref(),
        Some("host embed.tawk.to (script)")
    );
    assert_eq!(report.network.dropped, 0);
    assert_eq!(report.network.total, report.requests.len() as u64);
}

#[test]
fn a_widget_gated_behind_the_banner_is_contacted_at_consent_only_after_accept() {
    let (accept, found) = scan(
        "jivochat-shop",
        ConsentAction::Accept,
        Duration::from_secs(10),
    );
    let jivo: Vec<_> = accept
        .requests
        .iter()
        .filter(|r| r.vendor.as_deref() == Some("jivochat"))
        .collect();
    assert!(!jivo.is_empty(), "{:#?}", accept.requests);
    assert_eq!(jivo[0].step, Step::Consent, "{jivo:#?}");
    assert_eq!(jivo[0].host, "code.jivosite.com");
    assert!(jivo.iter().all(|r| r.step >= Step::Consent), "{jivo:#?}");
    assert!(transfers(&found).is_empty(), "{:#?}", transfers(&found));

    let (reject, found) = scan(
        "jivochat-shop",
        ConsentAction::Reject,
        Duration::from_secs(10),
    );
    assert!(
        reject.requests.iter().all(|r| r.vendor.is_none()),
        "{:#?}",
        reject.requests
    );
    assert!(
        reject.requests.iter().all(|r| r.party == Party::FirstParty),
        "{:#?}",
        reject.requests
    );
    assert!(!reject.requests.is_empty());
    assert!(transfers(&found).is_empty(), "{:#?}", transfers(&found));
}

#[test]
fn ten_thousand_requests_are_all_counted_and_a_bounded_number_listed() {
    // The load event waits for the page's 10,000 images: a wide bound, not a sleep.
    let (report, _) = scan(
        "many-requests",
        ConsentAction::None,
        Duration::from_secs(120),
    );
    let own: u64 = report
        .network
        .hosts
        .iter()
        .filter(|h| h.host == "www.many-requests.test")
        .flat_map(|h| h.steps.iter().map(|s| s.count))
        .sum();
    // The document and its 10,000 images.
    assert_eq!(own, 10_001, "{:#?}", report.network.hosts);
    assert!(report.network.total >= 10_001);
    let cap = report.network.cap;
    assert_eq!(report.requests.len() as u64, cap);
    assert!(cap < 10_000);
    assert_eq!(report.network.dropped, report.network.total - cap);
    // Every listed image URL has its query value redacted.
    let images: Vec<_> = report
        .requests
        .iter()
        .filter(|r| r.resource_type == "Image" && r.url.contains("/pixel.png"))
        .collect();
    assert!(!images.is_empty());
    assert!(
        images
            .iter()
            .all(|r| r.url.ends_with("/pixel.png?i=[redacted]")),
        "{:?}",
        images.first()
    );
    // The JSON report says how many were left out.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["network"]["dropped"], report.network.dropped);
}

#[test]
fn har_has_a_page_per_step_and_redacted_headers_in_the_output_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "--format",
        "json,har",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(f)).unwrap()).unwrap()
    };
    let report = read("report.json");
    let har = read("scan.har");
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    let pages: Vec<&str> = log["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(pages, ["load", "widget", "consent", "chat_open"]);
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), report["requests"].as_array().unwrap().len());
    assert!(!entries.is_empty());
    let mut headers = 0;
    for e in entries {
        assert!(pages.contains(&e["pageref"].as_str().unwrap()), "{e}");
        for k in ["send", "wait", "receive"] {
            assert!(e["timings"][k].as_f64().unwrap() >= 0.0, "{e}");
        }
        assert!(e["startedDateTime"].as_str().unwrap().contains('T'), "{e}");
        for side in ["request", "response"] {
            for h in e[side]["headers"].as_array().unwrap() {
                headers += 1;
                assert_eq!(h["value"], "[redacted]", "{e}");
            }
            for c in e[side]["cookies"].as_array().unwrap() {
                assert_eq!(c["value"], "[redacted]", "{e}");
            }
        }
        for q in e["request"]["queryString"].as_array().unwrap() {
            assert_eq!(q["value"], "[redacted]", "{e}");
        }
    }
    assert!(headers > 0, "no headers recorded");
    // The page's document at load, answered 200, with its type.
    let doc = entries
        .iter()
        .find(|e| e["_resourceType"] == "Document")
        .unwrap();
    assert_eq!(doc["pageref"], "load");
    assert_eq!(doc["response"]["status"], 200);
    assert!(
        doc["response"]["content"]["mimeType"]
            .as_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Each page lists the keys first stored at its step (names, never values), and `classify`
    // reads them back: the HAR alone attributes what the scan found.
    for page in log["pages"].as_array().unwrap() {
        for k in page["_storage"].as_array().unwrap() {
            assert!(k.get("value").is_none(), "{k}");
        }
    }
    let o = chatcookie(&[
        "classify",
        out.join("scan.har").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let classified: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys = classified["keys"].as_array().unwrap();
    let attributed = |name: &str| {
        keys.iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{name} not classified: {classified}"))["attribution"]["vendor"]
            .clone()
    };
    assert_eq!(
        attributed("61f0c2a9b8e7d6c5b4a39281.clientId"),
        "web1on1",
        "{classified}"
    );
    assert_eq!(
        keys.len(),
        report["observations"].as_array().unwrap().len(),
        "{classified}"
    );
}

#[test]
fn a_widget_in_a_cross_site_frame_names_the_frame_and_its_third_party_at_low() {
    let (report, found) = scan(
        "iframe-widget",
        ConsentAction::None,
        Duration::from_secs(10),
    );
    let frame_doc = report
        .requests
        .iter()
        .find(|r| r.host == "chat.widgethost.localhost" && r.resource_type == "Document")
        .unwrap_or_else(|| panic!("{:#?}", report.requests));
    assert_eq!(frame_doc.party, Party::ThirdParty);
    assert_eq!(frame_doc.vendor, None);
    assert!(
        frame_doc
            .frame
            .as_deref()
            .is_some_and(|f| f.starts_with("http://chat.widgethost.localhost:")),
        "{frame_doc:?}"
    );
    let t = transfers(&found);
    let fingerprints: Vec<&str> = t.iter().map(|f| f.fingerprint.as_str()).collect();
    assert_eq!(
        fingerprints,
        [
            "transfer-before-consent|vendor:tawkto",
            "transfer-before-consent|host:chat.widgethost.localhost"
        ],
        "{t:#?}"
    );
    assert_eq!(t[0].severity, Severity::Medium);
    assert_eq!(t[1].severity, Severity::Low);
    assert!(t[1].message.contains("never given"), "{}", t[1].message);
}

/// A scan by the binary, its JSON report and its requests.
fn scan_requests(args: &[&str]) -> (serde_json::Value, Vec<serde_json::Value>) {
    let mut all = vec!["scan"];
    all.extend(args);
    all.extend(["--consent", "none", "--format", "json"]);
    let out = chatcookie(&all);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = report["requests"].as_array().unwrap().clone();
    (report, requests)
}

#[test]
fn a_service_workers_own_request_is_recorded_with_its_host_and_step() {
    let dir = root().join("fixtures/network/service-worker");
    let (report, requests) =
        scan_requests(&[dir.to_str().unwrap(), "--host", "www.sw-shop.localhost"]);
    let script = requests
        .iter()
        .find(|r| r["url"].as_str().is_some_and(|u| u.ends_with("/sw.js")));
    assert!(script.is_some(), "the worker's script: {requests:#?}");
    // The worker's own fetch: seen although it is no request of the page's, its query redacted.
    let ping = requests
        .iter()
        .find(|r| r["host"] == "stats.swhost.localhost")
        .unwrap_or_else(|| panic!("no request of the worker's: {requests:#?}"));
    assert_eq!(ping["party"], "third-party", "{ping}");
    assert!(
        ping["url"]
            .as_str()
            .unwrap()
            .contains("/ping.txt?visitor=[redacted]"),
        "{ping}"
    );
    assert!(
        matches!(ping["step"].as_str(), Some("load" | "widget")),
        "{ping}"
    );
    // And it is a transfer before consent, like any other request to a third party.
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["fingerprint"] == "transfer-before-consent|host:stats.swhost.localhost"),
        "{findings:#?}"
    );
}

#[test]
fn a_cross_site_frames_own_requests_are_recorded_on_a_browser_with_site_isolation() {
    // A farm's browser keeps site isolation: the chat frame is a target of its own, whose
    // requests the page's session never sees.
    let browser = ExternalChromium::start(&[
        "--host-resolver-rules=MAP *.test 127.0.0.1, MAP embed.tawk.to 127.0.0.1",
    ]);
    let dir = site_dir("iframe-widget");
    let (report, requests) = scan_requests(&[dir.to_str().unwrap(), "--connect", &browser.ws]);
    let status = requests
        .iter()
        .find(|r| {
            r["host"] == "chat.widgethost.localhost"
                && r["url"]
                    .as_str()
                    .is_some_and(|u| u.contains("/status.txt?"))
        })
        .unwrap_or_else(|| panic!("the frame's own fetch is missing: {requests:#?}"));
    assert_eq!(status["step"], "load", "{status}");
    assert_eq!(status["party"], "third-party", "{status}");
    // The frame's storage is still read, as without site isolation.
    let keys = report["observations"].as_array().unwrap();
    assert!(
        keys.iter()
            .any(|o| o["name"] == "twk_uuid_61e3a9c2b7d4f50012ab34cd"),
        "{keys:#?}"
    );
}
