//! The report formats end to end: one demo scan written to an output directory in every format,
//! the JSON validated against docs/report.schema.json, the HTML opened in the real Chromium.

use crate::common::{chatcookie, root, text};

use chatcookie::browser::{BrowserOptions, BrowserSession};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const FILES: [&str; 12] = [
    "report.json",
    "report.html",
    "report.md",
    "inventory.csv",
    "declaration.md",
    "declaration.html",
    "report.junit.xml",
    "report.sarif",
    "step-1-load.png",
    "step-2-widget.png",
    "step-3-consent.png",
    "step-4-chat_open.png",
];

#[test]
fn every_format_is_written_to_the_output_dir_and_the_html_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "--format",
        "json,html,markdown,csv,declaration-md,declaration-html,junit,sarif",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in FILES {
        assert!(out.join(f).is_file(), "{f} not written: {}", text(&o));
    }

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON report does not validate: {errors:#?}"
    );
    assert_eq!(report["steps"][0]["screenshot"], "step-1-load.png");
    // The report reads back as it was written: what baselines, `diff` and history compare.
    let written = std::fs::read_to_string(out.join("report.json")).unwrap();
    let back = chatcookie::report::parse_json(&written).unwrap();
    assert!(!back[0].findings.is_empty(), "a judged report: {written}");
    let mut again = Vec::new();
    chatcookie::report::Format::Json
        .renderer(false)
        .render(&back, &mut again)
        .unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), written);
    assert_eq!(report["provenance"]["consent"]["action"], "accept");
    assert_eq!(report["provenance"]["options"]["screenshots"], true);
    // The demo gates nothing, but its findings include high ones: the HTML headline says the
    // worst severity and is not green.
    let worst = ["high", "medium", "low", "info"]
        .into_iter()
        .find(|s| {
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["severity"] == *s)
        })
        .unwrap();
    assert_eq!(worst, "high", "{}", report["findings"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<p class=\"verdict warn\">Nothing fails this run (fail on: never):")
            && html.contains("; worst: high</p>"),
        "{}",
        &html[..html.len().min(3000)]
    );

    let declaration = std::fs::read_to_string(out.join("declaration.md")).unwrap();
    // The catalog's pattern, not this site's integration id.
    assert!(
        declaration.contains("\\{integrationId\\}.clientId"),
        "{declaration}"
    );
    assert!(
        !declaration.contains("61f0c2a9b8e7d6c5b4a39281"),
        "{declaration}"
    );

    let (timeline, widths) = open_in_chromium(&out.join("report.html"));
    let first_step = |key: &str| {
        timeline
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, steps)| steps.clone())
            .unwrap_or_else(|| panic!("{key} not in the timeline: {timeline:?}"))
    };
    assert_eq!(first_step("_ga"), ["load"]);
    assert_eq!(first_step("widget_uuid"), ["load"]);
    assert_eq!(first_step("site_consent"), ["consent"]);
    assert_eq!(first_step("widget_opened_by_customer"), ["chat_open"]);
    assert_eq!(widths.len(), 4, "one screenshot per step: {widths:?}");
    assert!(
        widths.iter().all(|(_, w)| *w > 0),
        "a screenshot does not decode: {widths:?}"
    );
}

/// The timeline as rendered (each key with the steps it is marked new at) and each screenshot's decoded width.
type Rendered = (Vec<(String, Vec<String>)>, Vec<(String, u64)>);

fn open_in_chromium(file: &Path) -> Rendered {
    let session = BrowserSession::start(&BrowserOptions {
        launch_timeout: Duration::from_secs(30),
        ..BrowserOptions::default()
    })
    .expect("Chromium must be installed for the integration tests (see README)");
    let timeout = Duration::from_secs(10);
    let page = session.new_page(timeout).unwrap();
    let url = url::Url::from_file_path(file).unwrap().to_string();
    page.call("Page.navigate", serde_json::json!({ "url": url }), timeout)
        .unwrap();
    let loaded = format!(
        "location.href === {} && document.readyState === 'complete'",
        serde_json::to_string(&url).unwrap()
    );
    let deadline = Instant::now() + timeout;
    while page.evaluate(&loaded, timeout).ok() != Some(Value::Bool(true)) {
        assert!(Instant::now() < deadline, "the report did not load");
        std::thread::yield_now();
    }
    let timeline = page
        .evaluate(
            "Array.from(document.querySelectorAll('#timeline tbody tr'), tr => [
               tr.querySelector('th.key').textContent,
               Array.from(tr.querySelectorAll('td.new'), td => td.dataset.step)])",
            timeout,
        )
        .unwrap();
    let widths = page
        .evaluate(
            "Promise.all(Array.from(document.querySelectorAll('img.screenshot'),
               img => img.decode().then(() => [img.dataset.step, img.naturalWidth])))",
            timeout,
        )
        .unwrap();
    (
        serde_json::from_value(timeline).unwrap(),
        serde_json::from_value(widths).unwrap(),
    )
}

#[test]
fn an_unwritable_output_dir_exits_2_and_keeps_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = blocker.join("reports");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "--format",
        "json",
        "--output-dir",
        out.to_str().unwrap(),
        "--screenshots=false",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("cannot create the output directory"),
        "{stderr}"
    );
    let fallback = stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("chatcookie: 1 file(s) written to ")
                .and_then(|rest| rest.split(" instead").next())
        })
        .unwrap_or_else(|| panic!("no fallback directory named: {stderr}"));
    let kept = Path::new(fallback).join("report.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    std::fs::remove_dir_all(fallback).unwrap();
}

#[test]
fn several_formats_without_an_output_dir_is_a_usage_error() {
    let o = chatcookie(&["demo", "web1on1-eager", "--format", "json,csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--output-dir"), "{}", text(&o));
}

/// A many-site output directory: an index with each site's verdict linking that site's own
/// report, and every HTML and Markdown report opens with its verdict before the timeline.
#[test]
fn many_sites_get_an_index_and_every_report_opens_with_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "tawkto-shop",
        "--format",
        "html,markdown",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for (i, host) in ["web1on1-eager", "tawkto-shop"].iter().enumerate() {
        let page = format!("site-{}.html", i + 1);
        assert!(
            index.contains(&format!("<a href=\"{page}\">http://www.{host}.test:")),
            "{index}"
        );
        let report = std::fs::read_to_string(out.join(&page)).unwrap();
        assert!(report.contains(&format!("www.{host}.test")), "{page}");
        let (summary, timeline) = (
            report.find("id=\"summary\"").expect("a summary"),
            report.find("id=\"timeline\"").expect("a timeline"),
        );
        assert!(summary < timeline, "{page}: the verdict comes first");
    }
    // The summary names the worst finding, the vendor with its id, and who was contacted first.
    let tawk = std::fs::read_to_string(out.join("site-2.html")).unwrap();
    let head = &tawk[..tawk.find("id=\"timeline\"").unwrap()];
    assert!(head.contains("embed.tawk.to (tawkto) at load"), "{head}");
    // The timeline holds the hosts too: the vendor's script host contacted at load.
    let hosts = &tawk[tawk
        .find("id=\"timeline-hosts\"")
        .expect("a hosts timeline")..];
    let row = &hosts[hosts
        .find("<code>embed.tawk.to</code>")
        .expect("embed.tawk.to")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("<td class=\"contacted\" data-step=\"load\">"),
        "{row}"
    );
    let eager = std::fs::read_to_string(out.join("site-1.html")).unwrap();
    let head = &eager[..eager.find("id=\"timeline\"").unwrap()];
    assert!(head.contains("high before-consent: `_ga`"), "{head}");
    assert!(
        head.contains("Web1on1 (integrationId 61f0c2a9b8e7d6c5b4a39281)"),
        "{head}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.find("## Summary").unwrap() < md.find("## Step timeline").unwrap(),
        "{md}"
    );
}
