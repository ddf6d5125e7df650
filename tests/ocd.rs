//! The Open Cookie Database end to end, in the real Chromium: a banner-less site's analytics
//! cookies classified and judged, `init` declaring them, reports grouping keys by platform, and
//! `catalog`/`classify` showing platforms and categories.

use crate::common::*;
use chatcookie::ConsentAction;
use chatcookie::ThirdPartyCookies;
use chatcookie::catalog::{Attribution, Catalog, Category, Certainty};
use chatcookie::findings;
use chatcookie::report::{Format, ScanReport};
use chatcookie::{Rule, Severity};
use std::io::Write as _;

fn render(format: Format, r: &ScanReport) -> String {
    let mut out = Vec::new();
    format
        .renderer(false)
        .render(std::slice::from_ref(r), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn analytics_cookies_at_load_on_a_bannerless_site_are_high_before_consent() {
    let site = "analytics-shop";
    let exp = expected(site);
    let mut report = scan_site(site, ConsentAction::Accept, ThirdPartyCookies::Block);
    assert_eq!(
        normalise(observed_keys(&report, &exp.host)),
        normalise(exp.accept.clone()),
        "observed keys differ from expected.toml"
    );
    assert!(
        report.vendors.is_empty(),
        "no chat vendor: {:?}",
        report.vendors
    );
    let catalog = Catalog::embedded().unwrap();
    let db = report
        .provenance
        .cookie_database
        .clone()
        .expect("OCD in the provenance");
    assert_eq!(db.licence, "Apache-2.0");

    let obs = |name: &str| report.observations.iter().find(|o| o.name == name).unwrap();
    for (name, platform, category) in [
        ("_ga", "google-analytics", Category::Analytics),
        ("_gid", "google-analytics", Category::Analytics),
        ("_fbp", "facebook", Category::Marketing),
    ] {
        let o = obs(name);
        assert_eq!(o.attribution.platform(), Some(platform), "{name}");
        assert!(o.attribution.vendor().is_none(), "{name} is no chat key");
        let facts = o.catalog.as_ref().unwrap();
        assert_eq!(facts.category, category, "{name}");
        assert!(
            facts
                .database
                .as_deref()
                .unwrap()
                .starts_with("Open Cookie Database")
        );
    }
    // `lang` is generic (OCD lists it for LinkedIn): nothing here evidences LinkedIn.
    match &obs("lang").attribution {
        Attribution::Unknown { candidate: Some(c) } => assert!(c.contains("LinkedIn"), "{c}"),
        other => panic!("lang: {other:?}"),
    }

    report.findings = findings::evaluate(&report.facts(), &catalog, None);
    let before = |name: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule == Rule::BeforeConsent && f.key.as_ref().unwrap().name == name)
            .unwrap_or_else(|| panic!("no before-consent finding for {name}"))
    };
    for name in ["_ga", "_gid", "_fbp"] {
        let f = before(name);
        assert_eq!(f.severity, Severity::High, "{name}: {}", f.message);
        assert_eq!(f.step.unwrap().as_str(), "load");
    }
    assert!(
        before("_ga").message.contains("Google Analytics"),
        "{}",
        before("_ga").message
    );
    assert!(before("_ga").message.contains("category analytics"));
    // Known keys are not `unknown`; the site's own `lang` is, and its before-consent is low.
    let unknown: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == Rule::Unknown)
        .map(|f| f.key.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(unknown, ["lang"]);
    assert_eq!(before("lang").severity, Severity::Low);

    // The reports group keys by platform, then the unattributed ones; provenance names OCD.
    let md = render(Format::Markdown, &report);
    let ga = md
        .find("**Google Analytics** (platform google-analytics")
        .expect(&md);
    let fb = md.find("**Facebook** (platform facebook").expect(&md);
    let un = md.find("**Unattributed keys**").expect(&md);
    assert!(
        fb < ga && ga < un,
        "platforms by name, then unattributed:\n{md}"
    );
    assert!(
        md.contains("| Cookie database | Open Cookie Database "),
        "{md}"
    );
    assert!(md.contains("Apache-2.0"));
    let html = render(Format::Html, &report);
    assert!(html.contains("<section class=\"platform\">"), "{html}");
    assert!(html.contains("Google Analytics: analytics cookie (Open Cookie Database)"));
    let table = render(Format::Table, &report);
    assert!(
        table.contains("cookie data    Open Cookie Database"),
        "{table}"
    );
}

#[test]
fn chat_vendors_come_first_and_keep_their_keys() {
    let report = scan_site(
        "web1on1-eager",
        ConsentAction::Accept,
        ThirdPartyCookies::Block,
    );
    let ga = report
        .observations
        .iter()
        .find(|o| o.name == "_ga")
        .unwrap();
    assert!(matches!(
        ga.attribution,
        Attribution::Platform {
            confidence: Certainty::Certain,
            ..
        }
    ));
    // widget_loaded is generic for Web1on1 and stays Web1on1's.
    let loaded = report
        .observations
        .iter()
        .find(|o| o.name == "widget_loaded")
        .unwrap();
    assert_eq!(loaded.attribution.vendor(), Some("web1on1"));
    let md = render(Format::Markdown, &report);
    let vendor = md.find("- **Web1on1** (web1on1)").expect(&md);
    let platform = md.find("- **Google Analytics** (platform").expect(&md);
    assert!(vendor < platform, "chat vendors first:\n{md}");
    let html = render(Format::Html, &report);
    let vendor = html.find("<section class=\"vendor\">").unwrap();
    let platform = html.find("<section class=\"platform\">").unwrap();
    assert!(vendor < platform);
}

#[test]
fn init_declares_analytics_cookies_with_platform_and_category() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("chatcookie.toml");
    let site = root().join("fixtures/sites/analytics-shop");
    let o = chatcookie(&[
        "init",
        site.to_str().unwrap(),
        "--consent",
        "none",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&policy).unwrap();
    let block = |name: &str| -> String {
        let start = written
            .find(&format!("name = \"{name}\""))
            .unwrap_or_else(|| panic!("{name} not declared:\n{written}"));
        let end = written[start..]
            .find("[[declare]]")
            .map_or(written.len(), |i| start + i);
        written[start..end].to_string()
    };
    let ga = block("_ga");
    assert!(
        ga.contains("purpose = \"Google Analytics: analytics cookie (Open Cookie Database)\""),
        "{ga}"
    );
    assert!(ga.contains("category = \"analytics\""), "{ga}");
    assert!(!ga.contains("TODO"), "{ga}");
    assert!(
        written.contains("# Open Cookie Database "),
        "the source is named:\n{written}"
    );
    assert!(block("_fbp").contains("category = \"marketing\""));
    // The site's own generic key is still for the site to describe.
    assert!(block("lang").contains("TODO"), "{written}");
    // The policy it wrote is valid: check accepts it (and fails on the high findings).
    let o = chatcookie(&["check", "--policy", policy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn catalog_and_classify_show_platform_and_category() {
    let o = chatcookie(&["catalog", "--platform", "Google Analytics"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Google Analytics (google-analytics)"), "{out}");
    assert!(out.contains("_ga_*") && out.contains("analytics"), "{out}");
    assert!(out.contains("Apache-2.0"), "{out}");
    let o = chatcookie(&["catalog", "--platform", "nosuchplatformanywhere"]);
    assert_eq!(o.status.code(), Some(2));
    let o = chatcookie(&["catalog"]);
    assert!(text(&o).contains("Open Cookie Database"), "{}", text(&o));
    let o = chatcookie(&["catalog", "--ocd-report", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let figures: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(figures["generic"].as_u64().unwrap() > 0);
    assert!(figures["generic_by_reason"]["shared"].as_u64().unwrap() > 0);

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cookies.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(
        f,
        "Cookie: _ga=GA1.2.3.4; IDE=x; OptanonConsent=y; CookieConsent=z; token=t; uid=u; C=c; id=1; lang=en"
    )
    .unwrap();
    let o = chatcookie(&["classify", input.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let key = |name: &str| -> &serde_json::Value {
        doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
    };
    assert_eq!(
        key("_ga")["attribution"]["platform_name"],
        "Google Analytics"
    );
    assert_eq!(key("_ga")["category"], "analytics");
    assert_eq!(key("IDE")["category"], "marketing");
    assert_eq!(key("CookieConsent")["attribution"]["platform"], "cookiebot");
    for generic in ["token", "uid", "C", "id", "lang"] {
        assert_eq!(key(generic)["attribution"]["kind"], "unknown", "{generic}");
    }
    assert_eq!(doc["cookie_database"]["licence"], "Apache-2.0");
    let o = chatcookie(&["classify", input.to_str().unwrap()]);
    let table = text(&o);
    assert!(
        table.contains("Google Analytics") && table.contains("analytics"),
        "{table}"
    );
    assert!(
        table.contains("to a platform (Open Cookie Database)"),
        "{table}"
    );
}
