//! Findings, the policy file and the CI gate, end to end with the real Chromium.

use crate::common::{LIMIT, bin, chatcookie, root, run_within, text};

use crate::common::scan_site;
use chatcookie::ConsentAction;
use chatcookie::Rule;
use chatcookie::ThirdPartyCookies;
use chatcookie::catalog::Catalog;
use chatcookie::findings::{self, Finding};
use chatcookie::policy::Policy;
use chatcookie::report::ScanReport;
use std::path::{Path, PathBuf};
use std::process::Command;

fn judged(site: &str, action: ConsentAction, policy: Option<&str>) -> Vec<Finding> {
    let catalog = Catalog::embedded().unwrap();
    let report: ScanReport = scan_site(site, action, ThirdPartyCookies::Block);
    let policy = policy.map(|text| Policy::parse("chatcookie.toml", text, &catalog).unwrap());
    findings::evaluate(&report.facts(), &catalog, policy.as_ref())
}

fn fired(findings: &[Finding], rule: Rule) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

fn names(findings: &[Finding], rule: Rule) -> Vec<String> {
    let mut n: Vec<String> = fired(findings, rule)
        .iter()
        .filter_map(|f| f.key.as_ref().map(|k| k.name.clone()))
        .collect();
    n.sort();
    n.dedup();
    n
}

#[test]
fn a_well_behaved_widget_triggers_no_consent_or_promise_rule() {
    let f = judged("web1on1-shop", ConsentAction::Accept, None);
    for rule in [
        Rule::BeforeChatOpen,
        Rule::VendorPromise,
        Rule::PersonalData,
        Rule::ThirdParty,
        Rule::Duration,
    ] {
        assert!(
            fired(&f, rule).is_empty(),
            "{rule} fired on web1on1-shop: {:?}",
            fired(&f, rule)
        );
    }
    // Without a policy, the shop's own unclassified session cookie before consent is reported, low.
    let before = fired(&f, Rule::BeforeConsent);
    assert_eq!(names(&f, Rule::BeforeConsent), ["shop_session"]);
    assert_eq!(before[0].severity, chatcookie::Severity::Low);
}

#[test]
fn an_eager_widget_breaks_its_promise_and_writes_before_consent() {
    let f = judged("web1on1-eager", ConsentAction::Accept, None);
    // `_ga` is no chat key: Google Analytics' (Open Cookie Database), analytics, before consent.
    assert!(
        names(&f, Rule::BeforeConsent).contains(&"_ga".to_string()),
        "{:?}",
        names(&f, Rule::BeforeConsent)
    );
    // The site's own banner, answered with the fixture's click, wrote `site_consent`: its
    // record, strictly necessary, not an unknown key.
    assert_eq!(names(&f, Rule::Unknown), Vec::<String>::new());
    // Web1on1 promises nothing before the visitor opens the chat.
    let promise = names(&f, Rule::VendorPromise);
    assert_eq!(
        promise,
        [
            "61f0c2a9b8e7d6c5b4a39281.clientId",
            "widget_loaded",
            "widget_uuid"
        ]
    );
    assert!(
        fired(&f, Rule::VendorPromise)[0].evidence[0]
            .contains("will not set any cookies until it is initiated")
    );
    assert_eq!(names(&f, Rule::BeforeChatOpen), promise);
}

#[test]
fn genesys_breaks_its_session_only_promise() {
    let f = judged("genesys-shop", ConsentAction::Accept, None);
    assert_eq!(
        names(&f, Rule::VendorPromise),
        ["_genesys.widgets.webchat.state.ping"]
    );
    assert_eq!(
        names(&f, Rule::Duration),
        ["_genesys.widgets.webchat.state.ping"]
    );
    // Its strictly-necessary cookies are not before-consent findings, but before-chat-open ones.
    assert!(
        fired(&f, Rule::BeforeConsent).is_empty(),
        "{:?}",
        fired(&f, Rule::BeforeConsent)
    );
    assert_eq!(
        names(&f, Rule::BeforeChatOpen),
        ["_genesys.widgets.app.autoLoadList"]
    );
}

/// Genesys Cloud Web Messenger stores its anonymous customer id when it starts, at page load,
/// whichever origin holds it (the site's before 2025-01-27, a Genesys Cloud frame since): a
/// `before-consent` finding on a page with a banner, after accept and after reject alike, the
/// attribution by its own name in the evidence. Both placements are documented: no
/// `vendor-doc-mismatch`; no personal data: Messenger's promise holds.
#[test]
fn genesys_messengers_load_time_identifier_is_a_before_consent_finding() {
    for (site, deployment) in [
        (
            "genesys-messenger-site",
            "3f9c2a71-5d4e-4b8a-9c1f-6e2d7a8b0c4d",
        ),
        (
            "genesys-messenger-frame",
            "a83d5f20-7c1b-4e9a-b2d6-0f4e8c1a9d57",
        ),
    ] {
        let actmu = format!("_{deployment}:actmu");
        for action in [ConsentAction::Accept, ConsentAction::Reject] {
            let f = judged(site, action, None);
            let before = fired(&f, Rule::BeforeConsent);
            let id: Vec<&&Finding> = before
                .iter()
                .filter(|x| x.key.as_ref().is_some_and(|k| k.name == actmu))
                .collect();
            assert_eq!(id.len(), 1, "{site} {action:?}: {before:?}");
            let id = id[0];
            assert_eq!(id.severity, chatcookie::Severity::Medium, "{id:?}");
            assert_eq!(id.step, Some(chatcookie::Step::Load));
            assert!(
                id.message.contains("Genesys Cloud Web Messenger")
                    && id.message.contains("was stored at `load`, before consent"),
                "{}",
                id.message
            );
            assert!(
                id.evidence.iter().any(|e| e
                    == "attributed to Genesys Cloud Web Messenger by its own distinctive name"),
                "{:?}",
                id.evidence
            );
            // What the visitor's own request wrote (the window state, the conversation) needs
            // no consent.
            let messenger: Vec<String> = names(&f, Rule::BeforeConsent)
                .into_iter()
                .filter(|n| n.starts_with(&format!("_{deployment}:")))
                .collect();
            assert_eq!(messenger, [actmu.as_str()], "{site} {action:?}");
            assert!(fired(&f, Rule::VendorDocMismatch).is_empty(), "{site}");
            assert!(fired(&f, Rule::VendorPromise).is_empty(), "{site}");
            let transfer = fired(&f, Rule::TransferBeforeConsent);
            assert!(
                transfer
                    .iter()
                    .any(|t| t.message.contains("Genesys Cloud Web Messenger")),
                "{transfer:?}"
            );
        }
    }
}

#[test]
fn personal_data_is_found_by_kind_and_path_never_by_value() {
    let f = judged("jivochat-shop", ConsentAction::Accept, None);
    let pd = fired(&f, Rule::PersonalData);
    let kinds: Vec<&str> = pd.iter().map(|f| f.message.as_str()).collect();
    assert!(
        kinds
            .iter()
            .any(|m| m.contains("e-mail address at $.client_info")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|m| m.contains("phone number at $.client_info")),
        "{kinds:?}"
    );
    let json = serde_json::to_string(&f).unwrap();
    assert!(
        !json.contains("visitor@example.com") && !json.contains("1234567"),
        "a value leaked into the findings"
    );
    // Rejected: Jivo never loads, so nothing personal is stored.
    let rejected = judged("jivochat-shop", ConsentAction::Reject, None);
    assert!(fired(&rejected, Rule::PersonalData).is_empty());
}

#[test]
fn storage_after_reject_is_a_before_consent_finding() {
    let f = judged("tawkto-shop", ConsentAction::Reject, None);
    let before: Vec<&Finding> = fired(&f, Rule::BeforeConsent);
    assert!(
        before
            .iter()
            .any(|x| x.key.as_ref().unwrap().name.starts_with("twk_uuid_")),
        "{before:?}"
    );
    // tawk.to's promise is conditional on its consent form: reported, low.
    assert!(
        fired(&f, Rule::VendorPromise)
            .iter()
            .all(|x| x.severity == chatcookie::Severity::Low)
    );
    let silent = judged("tawkto-consent", ConsentAction::Reject, None);
    assert!(fired(&silent, Rule::VendorPromise).is_empty());
    assert!(fired(&silent, Rule::BeforeChatOpen).is_empty());
}

#[test]
fn third_party_and_samesite_rules_fire_only_where_they_apply() {
    let f = judged("iframe-widget", ConsentAction::None, None);
    assert!(
        names(&f, Rule::ThirdParty).contains(&"PreviousNav".to_string()),
        "{:?}",
        names(&f, Rule::ThirdParty)
    );
    assert!(
        fired(&f, Rule::Unknown).is_empty(),
        "every key there is tawk.to's"
    );
    let plain = judged("plain-site", ConsentAction::Accept, None);
    assert!(fired(&plain, Rule::ThirdParty).is_empty());
    assert_eq!(
        names(&plain, Rule::SameSiteNoneInsecure),
        ["legacy_widget_pref"]
    );
    assert!(fired(&f, Rule::SameSiteNoneInsecure).is_empty());
    // Fixture sites are http: the https-only rule stays silent (its firing is unit-tested).
    assert!(fired(&plain, Rule::MissingSecure).is_empty());
}

fn policy_text() -> String {
    std::fs::read_to_string(root().join("fixtures/policies/web1on1-shop.toml")).unwrap()
}

#[test]
fn the_policy_decides_undeclared_stale_and_duration_findings() {
    let complete = judged("web1on1-shop", ConsentAction::Accept, Some(&policy_text()));
    // The policy declares shop_session strictly necessary: no before-consent finding either.
    for rule in [
        Rule::Undeclared,
        Rule::DeclaredNotSeen,
        Rule::Duration,
        Rule::Unknown,
        Rule::BeforeConsent,
    ] {
        assert!(
            fired(&complete, rule).is_empty(),
            "{rule}: {:?}",
            fired(&complete, rule)
        );
    }
    // Drop the shop_session declaration, declare a key that never comes, shorten a lifetime,
    // and declare the chat keys as allowed only later than they appear.
    let changed = policy_text()
        .replace("name = \"shop_session\"", "name = \"shop_session_v2\"")
        .replace("max_lifetime = \"1 year\"", "max_lifetime = \"1 day\"");
    let f = judged("web1on1-shop", ConsentAction::Accept, Some(&changed));
    assert_eq!(names(&f, Rule::Undeclared), ["shop_session"]);
    let stale = fired(&f, Rule::DeclaredNotSeen);
    assert_eq!(stale.len(), 1);
    assert!(stale[0].message.contains("shop_session_v2"));
    assert_eq!(stale[0].policy_line, Some(15));
    assert_eq!(names(&f, Rule::Duration), ["site_consent"]);
    assert!(fired(&f, Rule::Duration)[0].message.contains("tolerance"));
}

/// A copy of the web1on1-shop policy in a temp dir, with its URL pointing at the fixture.
fn policy_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let site = root().join("fixtures/sites/web1on1-shop");
    let text = edit(policy_text().replace(
        "\"../sites/web1on1-shop\"",
        &format!("{:?}", site.display().to_string()),
    ));
    let path = dir.join("chatcookie.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_exit_codes_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    // 0: the committed policy, as the README's CI examples run it.
    let o = chatcookie(&[
        "check",
        "--policy",
        root()
            .join("fixtures/policies/web1on1-shop.toml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // 1: an undeclared key fails the gate; JUnit and SARIF say which.
    let p = policy_copy(dir.path(), |t| {
        t.replace("name = \"shop_session\"", "name = \"shop_session_v2\"")
    });
    let junit = dir.path().join("report.xml");
    let o = chatcookie(&[
        "check",
        "--policy",
        p.to_str().unwrap(),
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("fail the gate"), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("classname=\"chatcookie.undeclared\" name=\"cookie shop_session\""),
        "{xml}"
    );
    validate_junit(&junit);
    // The same check with a baseline that already has the finding passes.
    let json = dir.path().join("baseline.json");
    let o = chatcookie(&[
        "check",
        "--policy",
        p.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = chatcookie(&[
        "check",
        "--policy",
        p.to_str().unwrap(),
        "--baseline",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // --fail-on on the command line overrides the policy's gate.
    let o = chatcookie(&[
        "check",
        "--policy",
        p.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // 2: a malformed policy, with line and column.
    let bad = policy_copy(dir.path(), |t| {
        t.replace(
            "earliest_step = \"chat_open\"",
            "earliest_step = \"chat-open\"",
        )
    });
    let o = chatcookie(&["check", "--policy", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("chatcookie.toml:35:17"), "{}", text(&o));
    // 3: the site cannot be reached.
    let unreachable = policy_copy(dir.path(), |t| {
        t.replace("urls = [", "urls = [\"http://127.0.0.1:9/\", ")
    });
    let o = chatcookie(&["check", "--policy", unreachable.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

fn validate_junit(path: &Path) {
    let xsd = root().join("tests/schemas/junit.xsd");
    let o = Command::new("xmllint")
        .args([
            "--noout",
            "--schema",
            xsd.to_str().unwrap(),
            path.to_str().unwrap(),
        ])
        .output()
        .expect("xmllint (Debian: libxml2-utils) validates the JUnit output");
    assert!(
        o.status.success(),
        "JUnit output does not validate: {}",
        text(&o)
    );
}

/// The official SARIF 2.1.0 schema, as shipped inside the serde-sarif crate.
fn sarif_schema() -> serde_json::Value {
    let meta = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif (a dev-dependency) ships the SARIF schema");
    let schema = Path::new(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    let text = std::fs::read_to_string(schema).unwrap();
    // One pattern in the schema is ECMA-262, where a lone `]` is a literal; the Rust regex engine
    // wants it escaped. Same meaning, and the assertion notices if the schema changes.
    let ecma = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(
        text.contains(ecma),
        "the SARIF schema changed; revisit this workaround"
    );
    serde_json::from_str(&text.replace(ecma, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#))
        .unwrap()
}

#[test]
fn sarif_and_junit_validate_against_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(typed.runs.len(), 1);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "vendor-promise"),
        "{results:?}"
    );
    let junit = dir.path().join("r.xml");
    let o = chatcookie(&[
        "demo",
        "web1on1-eager",
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    validate_junit(&junit);
}

#[test]
fn init_writes_a_policy_that_check_accepts_and_diff_compares_reports() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("chatcookie.toml");
    let site = root().join("fixtures/sites/tawkto-shop");
    let o = chatcookie(&[
        "init",
        site.to_str().unwrap(),
        "--consent-click",
        "#cc-accept",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&policy).unwrap();
    assert!(
        written.contains("name = \"twk_uuid_{propertyId}\""),
        "{written}"
    );
    // The vendor's host the pages contacted is declared too, with its catalog purpose.
    assert!(
        written.contains(
            "\n[[host]]\n# first contacted at `load`; host embed.tawk.to (script)\nname = \"embed.tawk.to\"\nvendor = \"tawkto\"\npurpose = \"The tawk.to chat widget (its script, API or socket).\"\n"
        ),
        "{written}"
    );
    // Refuses to overwrite without --force.
    let o = chatcookie(&[
        "init",
        site.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let old = dir.path().join("old.json");
    let o = chatcookie(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        old.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The same site rejected: keys and findings differ.
    let new = dir.path().join("new.json");
    let o = chatcookie(&[
        "scan",
        site.to_str().unwrap(),
        "--consent",
        "reject",
        "--reject-click",
        "#cc-reject",
        "--format",
        "json",
        "--output",
        new.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = chatcookie(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let changed = d["changed_keys"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .any(|c| c.as_str().unwrap().starts_with("cookie site_consent")),
        "{d}"
    );
    // tawkto-shop loads its chat whatever the answer, and the banner's record is strictly
    // necessary under either: the findings are the same.
    assert!(
        d["added_findings"].as_array().unwrap().is_empty()
            && d["removed_findings"].as_array().unwrap().is_empty(),
        "{d}"
    );
}

#[test]
fn github_actions_get_an_annotation_per_gating_finding() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy_copy(dir.path(), |t| {
        t.replace("name = \"shop_session\"", "name = \"shop_session_v2\"")
    });
    let mut cmd = bin();
    cmd.args(["check", "--policy", p.to_str().unwrap()])
        .env("GITHUB_ACTIONS", "true");
    let o = run_within(cmd, LIMIT);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation in {err}"));
    assert!(
        line.contains("title=chatcookie undeclared") && line.contains("shop_session"),
        "{line}"
    );
    assert!(line.contains(&format!("file={}", p.display())), "{line}");
    // Without GitHub Actions, no workflow commands.
    let o = chatcookie(&["check", "--policy", p.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("::error"));
}

/// A Web1on1 site with no banner at all: the identifiers the widget stores at page load are
/// high (no banner, persistent, before any action; and Web1on1's unconditional promise broken),
/// while what the visitor's own chat_open wrote carries no `before-consent`; the vendor's
/// declaration (a session cookie) against what its code did (persistent localStorage) is a
/// `vendor-doc-mismatch`. Every finding says why it has its severity.
#[test]
fn a_no_banner_web1on1_site_is_high_at_load_and_exempt_at_the_visitors_own_request() {
    let dir = root().join("fixtures/judgement/web1on1-no-banner");
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let o = chatcookie(&[
        "scan",
        dir.to_str().unwrap(),
        "--host",
        "www.web1on1-no-banner.test",
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
        "--fail-on",
        "high",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "high findings fail the gate: {}",
        text(&o)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let findings = r["findings"].as_array().unwrap();
    let of = |rule: &str, name_end: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| {
                f["rule"] == rule
                    && f["key"]["name"]
                        .as_str()
                        .is_some_and(|n| n.ends_with(name_end))
            })
            .collect()
    };
    for f in findings {
        assert!(
            f["severity_reason"]
                .as_str()
                .is_some_and(|s| s.starts_with(f["severity"].as_str().unwrap())),
            "every finding says why it has its severity: {f}"
        );
    }
    // Load-time identifiers: high, because no banner asks the visitor.
    for name in [".clientId", "widget_uuid"] {
        let before = of("before-consent", name);
        assert_eq!(before.len(), 1, "{name}: {findings:?}");
        assert_eq!(before[0]["severity"], "high", "{name}: {}", before[0]);
        assert!(
            before[0]["severity_reason"]
                .as_str()
                .unwrap()
                .contains("no consent banner"),
            "{}",
            before[0]
        );
        let promise = of("vendor-promise", name);
        assert_eq!(promise.len(), 1, "{name}");
        assert_eq!(
            promise[0]["severity"], "high",
            "an unconditional promise broken"
        );
    }
    // The visitor's own request for the chat: no before-consent for what it wrote.
    for name in ["widget_opened_by_customer", ".appUserId", ".sessionToken"] {
        assert!(
            of("before-consent", name).is_empty(),
            "{name}: {findings:?}"
        );
        let key = r["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} observed"));
        assert_eq!(key["first_step"], "chat_open", "{key}");
    }
    // Web1on1 declares <integrationId>.clientId a session cookie; its code keeps it in localStorage.
    let mismatch = of("vendor-doc-mismatch", ".clientId");
    assert_eq!(mismatch.len(), 1, "{findings:?}");
    assert_eq!(mismatch[0]["severity"], "low");
    let ev = mismatch[0]["evidence"].to_string();
    assert!(ev.contains("storage cookie, duration session"), "{ev}");
    assert!(ev.contains("observed: localStorage"), "{ev}");
    // The generic widget_uuid is Web1on1's on Web1on1's evidence: a likely attribution, said so.
    let uuid = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "widget_uuid")
        .unwrap();
    assert_eq!(uuid["attribution"]["vendor"], "web1on1");
    assert_eq!(uuid["attribution"]["confidence"], "likely");
    assert!(
        of("before-consent", "widget_uuid")[0]["message"]
            .as_str()
            .unwrap()
            .contains("likely")
    );
    let client = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"].as_str().unwrap().ends_with(".clientId"))
        .unwrap();
    assert_eq!(client["attribution"]["vendor"], "web1on1");
    assert_eq!(client["attribution"]["confidence"], "certain");
    let vendors: Vec<&str> = r["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        vendors,
        ["web1on1"],
        "the Smooch messenger under Web1on1 is Web1on1's"
    );
}
