//! Rule logic on synthetic reports (pure logic; the real-browser cases are in tests/findings.rs).

use super::*;
use crate::catalog::{Attribution, Evidence};
use crate::observation::{CookieAttributes, ValueEvidence};
use crate::scan::StepRecord;
use crate::vocab::{Party, StorageKind};

/// The facts of a scan of `url` that ran every default step, answered `action`, and observed
/// `observations`: all a rule needs, nothing of the report around it.
struct Scan {
    url: String,
    action: ConsentAction,
    steps: Vec<StepRecord>,
    observations: Vec<Observation>,
}

impl Scan {
    fn facts(&self) -> Facts<'_> {
        Facts {
            final_url: &self.url,
            consent: self.action,
            steps: &self.steps,
            observations: &self.observations,
            attempts: &[],
            vendors: &[],
        }
    }
}

fn report(url: &str, action: ConsentAction, observations: Vec<Observation>) -> Scan {
    let step = |s: Step| StepRecord {
        step: s,
        status: StepStatus::Done,
        detail: String::new(),
        duration_ms: 0,
        settle_ms: 0,
        blocked_cookies: Vec::new(),
        dialogs: Vec::new(),
        consent: None,
        screenshot: None,
        screenshot_error: None,
        screenshot_png: None,
    };
    Scan {
        url: url.into(),
        action,
        steps: Step::DEFAULT.into_iter().map(step).collect(),
        observations,
    }
}

fn cookie(
    name: &str,
    step: Step,
    secure: bool,
    same_site: Option<&str>,
    value: &str,
) -> Observation {
    Observation {
        storage: StorageKind::Cookie,
        name: name.into(),
        location: "www.shop.example/".into(),
        party: Party::FirstParty,
        storage_key: None,
        frame_url: None,
        first_step: step,
        removed_at: None,
        changes: Vec::new(),
        cookie: Some(CookieAttributes {
            domain: "www.shop.example".into(),
            path: "/".into(),
            expires: None,
            lifetime_seconds: None,
            size: 1,
            http_only: false,
            secure,
            same_site: same_site.map(str::to_string),
            partition_key: None,
        }),
        value: ValueEvidence::of(value, false),
        json_fields: Vec::new(),
        attribution: Attribution::Unknown { candidate: None },
        catalog: None,
        raw_value: value.into(),
    }
}

fn rules(f: &[Finding]) -> Vec<Rule> {
    let mut r: Vec<Rule> = f.iter().map(|f| f.rule).collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn missing_secure_fires_on_https_pages_only() {
    let c = Catalog::embedded().unwrap();
    let obs = || vec![cookie("pref", Step::Consent, false, Some("Lax"), "1")];
    let https = evaluate(
        &report("https://www.shop.example/", ConsentAction::Accept, obs()).facts(),
        &c,
        None,
    );
    assert!(rules(&https).contains(&Rule::MissingSecure));
    let http = evaluate(
        &report("http://www.shop.example/", ConsentAction::Accept, obs()).facts(),
        &c,
        None,
    );
    assert!(!rules(&http).contains(&Rule::MissingSecure));
    let secure = vec![cookie("pref", Step::Consent, true, Some("Lax"), "1")];
    assert!(
        !rules(&evaluate(
            &report("https://www.shop.example/", ConsentAction::Accept, secure).facts(),
            &c,
            None
        ))
        .contains(&Rule::MissingSecure)
    );
}

#[test]
fn samesite_none_without_secure_on_a_stored_cookie() {
    let c = Catalog::embedded().unwrap();
    let f = evaluate(
        &report(
            "http://www.shop.example/",
            ConsentAction::Accept,
            vec![cookie("x", Step::Consent, false, Some("None"), "1")],
        )
        .facts(),
        &c,
        None,
    );
    assert!(rules(&f).contains(&Rule::SameSiteNoneInsecure));
}

#[test]
fn before_consent_depends_on_what_the_visitor_answered() {
    let c = Catalog::embedded().unwrap();
    let at = |step, action| {
        evaluate(
            &report(
                "http://www.shop.example/",
                action,
                vec![cookie("x", step, false, None, "1")],
            )
            .facts(),
            &c,
            None,
        )
    };
    assert!(rules(&at(Step::Load, ConsentAction::Accept)).contains(&Rule::BeforeConsent));
    assert!(!rules(&at(Step::Consent, ConsentAction::Accept)).contains(&Rule::BeforeConsent));
    // After a reject, or with no answer at all, anything not strictly necessary counts.
    assert!(rules(&at(Step::Consent, ConsentAction::Reject)).contains(&Rule::BeforeConsent));
    assert!(rules(&at(Step::ChatOpen, ConsentAction::None)).contains(&Rule::BeforeConsent));
}

#[test]
fn personal_data_in_a_cookie_is_high_and_names_no_value() {
    let c = Catalog::embedded().unwrap();
    let f = evaluate(
        &report(
            "http://www.shop.example/",
            ConsentAction::Accept,
            vec![cookie("u", Step::Consent, false, None, "ann%40example.com")],
        )
        .facts(),
        &c,
        None,
    );
    let pd: Vec<&Finding> = f.iter().filter(|f| f.rule == Rule::PersonalData).collect();
    assert_eq!(pd.len(), 1);
    assert_eq!(pd[0].severity, Severity::High);
    assert!(!serde_json::to_string(&f).unwrap().contains("ann"));
}

#[test]
fn fingerprints_ignore_ports_and_values() {
    let c = Catalog::embedded().unwrap();
    let a = evaluate(
        &report(
            "http://www.shop.example:1111/",
            ConsentAction::Accept,
            vec![cookie("x", Step::Load, false, None, "1")],
        )
        .facts(),
        &c,
        None,
    );
    let b = evaluate(
        &report(
            "http://www.shop.example:2222/",
            ConsentAction::Accept,
            vec![cookie("x", Step::Load, false, None, "2")],
        )
        .facts(),
        &c,
        None,
    );
    let fa: Vec<&str> = a.iter().map(|f| f.fingerprint.as_str()).collect();
    let fb: Vec<&str> = b.iter().map(|f| f.fingerprint.as_str()).collect();
    assert_eq!(fa, fb);
    let _ = Evidence::default();
}

/// A chat vendor's functional key, first stored at `step`.
fn chat_key(step: Step) -> Observation {
    let mut o = cookie("widget_opened_by_customer", step, false, None, "1");
    o.attribution = Attribution::Known {
        vendor: "web1on1".into(),
        key: "widget_opened_by_customer".into(),
        matched: "widget_opened_by_customer".into(),
        captures: Default::default(),
        confidence: crate::catalog::Certainty::Certain,
        evidence: None,
    };
    o.catalog = Some(crate::observation::CatalogFacts {
        vendor_name: "Web1on1".into(),
        purpose: "test".into(),
        category: Category::Functional,
        category_assessed: false,
        declared_storage: StorageKind::Cookie,
        declared_duration: crate::catalog::DeclaredDuration::Session,
        storage_differs: false,
        source: "web1on1-cookies".into(),
        database: None,
    });
    o
}

#[test]
fn what_the_visitors_own_request_for_the_chat_stored_needs_no_consent() {
    let c = Catalog::embedded().unwrap();
    let url = "http://www.shop.example/";
    let at_open = report(url, ConsentAction::None, vec![chat_key(Step::ChatOpen)]);
    assert!(!rules(&evaluate(&at_open.facts(), &c, None)).contains(&Rule::BeforeConsent));
    // Before the visitor asked, it needs consent.
    let at_load = report(url, ConsentAction::None, vec![chat_key(Step::Load)]);
    let f = evaluate(&at_load.facts(), &c, None);
    assert!(rules(&f).contains(&Rule::BeforeConsent));
    assert!(
        f.iter()
            .all(|f| f.severity_reason.starts_with(f.severity.as_str()))
    );
    // A chat_open step that did not run is no request: a key first seen at its snapshot counts.
    let mut skipped = report(url, ConsentAction::None, vec![chat_key(Step::ChatOpen)]);
    for s in &mut skipped.steps {
        if s.step == Step::ChatOpen {
            s.status = StepStatus::Skipped;
        }
    }
    assert!(rules(&evaluate(&skipped.facts(), &c, None)).contains(&Rule::BeforeConsent));
}

#[test]
fn the_policy_weighs_a_rule_and_the_reason_says_so() {
    let c = Catalog::embedded().unwrap();
    let policy = Policy::parse(
        "chatcookie.toml",
        "[severity]\nmissing-secure = \"high\"\n",
        &c,
    )
    .unwrap();
    let scan = report(
        "https://www.shop.example/",
        ConsentAction::Accept,
        vec![cookie("pref", Step::Consent, false, Some("Lax"), "1")],
    );
    let own = evaluate(&scan.facts(), &c, None);
    let own = own.iter().find(|f| f.rule == Rule::MissingSecure).unwrap();
    let weighed = evaluate(&scan.facts(), &c, Some(&policy));
    let weighed = weighed
        .iter()
        .find(|f| f.rule == Rule::MissingSecure)
        .unwrap();
    assert_ne!(
        own.severity,
        Severity::High,
        "the test needs another default"
    );
    assert_eq!(weighed.severity, Severity::High);
    assert!(
        weighed
            .severity_reason
            .starts_with("high by the site's policy (chatcookie.toml line 2, [severity])"),
        "{}",
        weighed.severity_reason
    );
    assert!(
        weighed.severity_reason.ends_with(&own.severity_reason),
        "{}",
        weighed.severity_reason
    );
    // The identity does not change with the weighing: a baseline still forgives it.
    assert_eq!(weighed.fingerprint, own.fingerprint);
}
