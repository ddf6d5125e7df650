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
    network: crate::network::Network,
    vendors: Vec<crate::observation::VendorSeen>,
}

impl Scan {
    fn facts(&self) -> Facts<'_> {
        Facts {
            final_url: &self.url,
            consent: self.action,
            steps: &self.steps,
            observations: &self.observations,
            attempts: &[],
            vendors: &self.vendors,
            network: &self.network,
        }
    }
}

fn report(url: &str, action: ConsentAction, observations: Vec<Observation>) -> Scan {
    let step = |s: Step| StepRecord {
        step: s,
        page: String::new(),
        status: StepStatus::Done,
        detail: String::new(),
        duration_ms: 0,
        settle_ms: 0,
        blocked_cookies: Vec::new(),
        dialogs: Vec::new(),
        consent: None,
        banner_again: None,
        screenshot: None,
        screenshot_error: None,
        screenshot_png: None,
    };
    Scan {
        url: url.into(),
        action,
        steps: Step::DEFAULT.into_iter().map(step).collect(),
        observations,
        network: Default::default(),
        vendors: Vec::new(),
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
        first_page: String::new(),
        removed_page: None,
        out_of_sight: false,
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
        decided_by: None,
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
        held_in: None,
        documented_origin: None,
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

/// A host the page contacted at the given steps (one request each), matched like the network
/// layer does.
fn contacted(
    catalog: &Catalog,
    page: &str,
    url: &str,
    steps: &[Step],
) -> crate::network::HostContact {
    use crate::browser::watch::{RawRequest, RequestLog};
    let mut log = RequestLog::default();
    for (i, s) in steps.iter().enumerate() {
        let r = RawRequest {
            step: *s,
            page: String::new(),
            url: url.into(),
            method: "GET".into(),
            resource_type: "Script".into(),
            frame: None,
            initiator_type: "parser".into(),
            initiator_url: Some(page.into()),
            status: Some(200),
            error: None,
            started: 0.0,
            duration_ms: None,
            from_service_worker: false,
            status_text: String::new(),
            mime_type: String::new(),
            protocol: String::new(),
            encoded_length: None,
            request_headers: vec![("Cookie".into(), "a=1; b=2".into())],
            response_headers: Vec::new(),
            timings: None,
        };
        log.start(&i.to_string(), r, 0.0);
    }
    let (_, net) = crate::network::build(catalog, &log, &[], page, &Default::default(), false);
    net.hosts.into_iter().next().unwrap()
}

fn transfers(scan: &Scan, c: &Catalog, policy: Option<&Policy>) -> Vec<Finding> {
    evaluate(&scan.facts(), c, policy)
        .into_iter()
        .filter(|f| f.rule == Rule::TransferBeforeConsent)
        .collect()
}

#[test]
fn transfer_before_consent_judges_each_vendor_and_host_by_its_steps() {
    let c = Catalog::embedded().unwrap();
    let page = "https://www.shop.example/";
    let with = |action: ConsentAction, hosts: Vec<crate::network::HostContact>| {
        let mut s = report(page, action, Vec::new());
        s.network.hosts = hosts;
        s
    };
    let tawk = |steps: &[Step]| contacted(&c, page, "https://embed.tawk.to/abc/default?x=1", steps);
    // At load, before an accepted consent: one medium finding for the vendor, however many requests.
    let scan = with(
        ConsentAction::Accept,
        vec![
            tawk(&[Step::Load, Step::Load, Step::Consent]),
            contacted(&c, page, "wss://vsa1.tawk.to:443/s", &[Step::Widget]),
        ],
    );
    let f = transfers(&scan, &c, None);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(f[0].step, Some(Step::Load));
    assert_eq!(f[0].fingerprint, "transfer-before-consent|vendor:tawkto");
    assert!(
        f[0].message.contains("`embed.tawk.to`, `vsa1.tawk.to`"),
        "{}",
        f[0].message
    );
    assert!(f[0].message.contains("3 requests"), "{}", f[0].message);
    assert!(
        f[0].evidence.iter().any(|e| e.contains("?x=[redacted]")),
        "{:#?}",
        f[0].evidence
    );
    assert!(!f[0].evidence.iter().any(|e| e.contains("x=1")));
    // First contacted at consent, after an accept: covered.
    assert!(
        transfers(
            &with(ConsentAction::Accept, vec![tawk(&[Step::Consent])]),
            &c,
            None
        )
        .is_empty()
    );
    // After a reject, the same contact is a transfer.
    let rejected = transfers(
        &with(ConsentAction::Reject, vec![tawk(&[Step::Consent])]),
        &c,
        None,
    );
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].message.contains("after consent was rejected"),
        "{}",
        rejected[0].message
    );
    // First made when the visitor opened the chat: the visitor's own request.
    assert!(
        transfers(
            &with(ConsentAction::Reject, vec![tawk(&[Step::ChatOpen])]),
            &c,
            None
        )
        .is_empty()
    );
    // The page's own hosts are never a transfer.
    let own = contacted(&c, page, "https://cdn.shop.example/app.js", &[Step::Load]);
    assert!(transfers(&with(ConsentAction::Accept, vec![own]), &c, None).is_empty());
    // Another third party: low, one per host, port-free fingerprint.
    let fonts = || {
        contacted(
            &c,
            page,
            "https://fonts.example.net:8443/css?family=x",
            &[Step::Load],
        )
    };
    let low = transfers(&with(ConsentAction::Accept, vec![fonts()]), &c, None);
    assert_eq!(low.len(), 1);
    assert_eq!(low[0].severity, Severity::Low);
    assert_eq!(
        low[0].fingerprint,
        "transfer-before-consent|host:fonts.example.net"
    );
    // Declared strictly necessary in the policy: no finding; a vendor's host stays one.
    let policy = Policy::parse(
        "chatcookie.toml",
        "[[host]]\nname = \"*.example.net\"\npurpose = \"Fonts the page needs.\"\ncategory = \"strictly-necessary\"\n\n[[host]]\nname = \"embed.tawk.to\"\npurpose = \"The chat.\"\ncategory = \"strictly-necessary\"\n",
        &c,
    )
    .unwrap();
    let both = with(ConsentAction::Accept, vec![fonts(), tawk(&[Step::Load])]);
    let judged = transfers(&both, &c, Some(&policy));
    assert_eq!(judged.len(), 1, "{judged:#?}");
    assert_eq!(
        judged[0].fingerprint,
        "transfer-before-consent|vendor:tawkto"
    );
    assert_eq!(judged[0].policy_line, Some(7));
    assert!(
        judged[0]
            .evidence
            .iter()
            .any(|e| e.contains("declared by the policy's [[host]]"))
    );
}

/// A localStorage item of `vendor`'s catalog key `key` (as the catalog writes it), stored at
/// `step` in `origin`, attributed by its own name.
fn vendor_item(
    vendor: &str,
    key: &str,
    name: &str,
    origin: &str,
    step: Step,
    value: &str,
) -> Observation {
    let c = Catalog::embedded().unwrap();
    let v = c.vendor(vendor).unwrap();
    let k = v.keys.iter().find(|k| k.name.get_ref() == key).unwrap();
    let mut o = cookie(name, step, false, None, value);
    o.storage = StorageKind::LocalStorage;
    o.cookie = None;
    o.location = origin.into();
    o.attribution = Attribution::Known {
        vendor: vendor.into(),
        key: key.into(),
        matched: key.into(),
        captures: Default::default(),
        confidence: crate::catalog::Certainty::Certain,
        evidence: None,
        decided_by: Some(crate::catalog::Decision {
            evidence: format!("key {name}"),
            step: Some(step),
        }),
    };
    o.catalog = Some(crate::observation::CatalogFacts {
        vendor_name: v.name.clone(),
        purpose: k.purpose.clone(),
        category: k.category,
        category_assessed: k.category_assessed,
        declared_storage: k.storage,
        declared_duration: k.duration.clone(),
        storage_differs: k.storage != StorageKind::LocalStorage,
        source: k.source.get_ref().clone(),
        database: None,
        held_in: None,
        documented_origin: None,
    });
    o
}

fn seen(id: &str, name: &str, evidence_at: &[(&str, Step)]) -> crate::observation::VendorSeen {
    crate::observation::VendorSeen {
        id: id.into(),
        name: name.into(),
        evidence: evidence_at.iter().map(|(r, _)| r.to_string()).collect(),
        evidence_at: evidence_at
            .iter()
            .map(|(r, s)| (r.to_string(), *s))
            .collect(),
        product_of: None,
        ids: Default::default(),
    }
}

#[test]
fn a_no_storage_promise_broken_says_when_and_why() {
    let c = Catalog::embedded().unwrap();
    // Web1on1's client id stored at `stored`, its global first shown at `shown`, consent accepted:
    // the vendor-promise finding.
    let promise = |stored: Step, shown: Step| -> Finding {
        let item = vendor_item(
            "web1on1",
            "{integrationId}.clientId",
            "abc.clientId",
            "http://www.boats.example",
            stored,
            "x",
        );
        let mut scan = report(
            "http://www.boats.example/",
            ConsentAction::Accept,
            vec![item],
        );
        scan.vendors = vec![seen("web1on1", "Web1on1", &[("global web1on1", shown)])];
        let f = evaluate(&scan.facts(), &c, None);
        let mut promise: Vec<Finding> = f
            .into_iter()
            .filter(|f| f.rule == Rule::VendorPromise)
            .collect();
        assert_eq!(promise.len(), 1, "{promise:?}");
        promise.remove(0)
    };
    // Released by the consent answer: the widget's own global first showed at consent.
    let released = promise(Step::Consent, Step::Consent);
    let why = &released.severity_reason;
    assert_eq!(released.severity, Severity::High);
    for part in [
        "high: the vendor's own unconditional published promise is broken",
        "as soon as the consent answer loaded the widget (global web1on1 first showed at `consent`)",
        "accepting cookies is not asking for the chat",
        "The consent given may cover the storage itself",
    ] {
        assert!(why.contains(part), "{part:?} not in {why}");
    }
    assert!(
        released
            .evidence
            .iter()
            .any(|e| e == "attributed to Web1on1 by its own distinctive name"),
        "{:?}",
        released.evidence
    );
    // On the page from the start and stored at load: before any answer.
    let why = promise(Step::Load, Step::Load).severity_reason;
    assert!(
        why.contains("before the visitor gave any answer or touched the chat"),
        "{why}"
    );
    assert!(!why.contains("consent answer loaded"), "{why}");
}

#[test]
fn personal_data_in_messengers_local_storage_breaks_its_promise() {
    let c = Catalog::embedded().unwrap();
    let key = "_{deploymentId}:gcmcsessionActive";
    let name = "_3f9c2a71-5d4e-4b8a-9c1f-6e2d7a8b0c4d:gcmcsessionActive";
    let value = r#"{"value":{"email":"visitor@example.com"},"ttl":null}"#;
    let mut scan = report(
        "http://www.shop.example/",
        ConsentAction::Accept,
        vec![vendor_item(
            "genesys-messenger",
            key,
            name,
            "http://www.shop.example",
            Step::ChatOpen,
            value,
        )],
    );
    scan.vendors = vec![seen(
        "genesys-messenger",
        "Genesys Cloud Web Messenger",
        &[("global Genesys", Step::Load)],
    )];
    let f = evaluate(&scan.facts(), &c, None);
    let promise: Vec<&Finding> = f.iter().filter(|f| f.rule == Rule::VendorPromise).collect();
    assert_eq!(promise.len(), 1, "{f:?}");
    assert_eq!(promise[0].severity, Severity::High);
    assert!(
        promise[0].message.contains("holds a"),
        "{}",
        promise[0].message
    );
    assert!(
        promise[0]
            .severity_reason
            .contains("personal data in localStorage")
    );
    assert!(
        !serde_json::to_string(&f)
            .unwrap()
            .contains("visitor@example.com")
    );
}

#[test]
fn web_storage_held_where_its_vendor_documents_no_placement_is_a_doc_mismatch() {
    let c = Catalog::embedded().unwrap();
    let key = "_{deploymentId}:actmu";
    let name = "_3f9c2a71-5d4e-4b8a-9c1f-6e2d7a8b0c4d:actmu";
    let held = |held: crate::observation::HeldIn, documented: Option<&str>| {
        let mut o = vendor_item(
            "genesys-messenger",
            key,
            name,
            "https://cdn.elsewhere.example",
            Step::ChatOpen,
            "x",
        );
        let f = o.catalog.as_mut().unwrap();
        f.held_in = Some(held);
        f.documented_origin = documented.map(str::to_string);
        let scan = report("https://www.shop.example/", ConsentAction::Accept, vec![o]);
        evaluate(&scan.facts(), &c, None)
            .into_iter()
            .filter(|f| f.rule == Rule::VendorDocMismatch)
            .collect::<Vec<_>>()
    };
    let other = held(crate::observation::HeldIn::Other, None);
    assert_eq!(other.len(), 1, "{other:?}");
    assert_eq!(other[0].severity, Severity::Low);
    assert!(
        other[0]
            .message
            .contains("neither the page's nor the vendor's"),
        "{}",
        other[0].message
    );
    assert!(
        other[0].evidence[0].ends_with(
            "documents the key's origin: site (until 2025-01-27), vendor (since 2025-01-27)"
        ),
        "{:?}",
        other[0].evidence
    );
    assert!(
        held(
            crate::observation::HeldIn::Vendor,
            Some("vendor (since 2025-01-27)")
        )
        .is_empty()
    );
}

/// A journey's steps: `(page, step)` in order, each done.
fn journey_steps(moments: &[(&str, Step)]) -> Vec<StepRecord> {
    let done = report("http://x.test/", ConsentAction::Accept, Vec::new()).steps[0].clone();
    moments
        .iter()
        .map(|&(page, step)| StepRecord {
            page: page.into(),
            step,
            ..done.clone()
        })
        .collect()
}

#[test]
fn a_key_a_later_page_stores_after_consent_on_an_earlier_one_stands_after_consent() {
    let (home, contact) = (
        "http://www.shop.example/",
        "http://www.shop.example/contact/",
    );
    let steps = journey_steps(&[
        (home, Step::Load),
        (home, Step::Widget),
        (home, Step::Consent),
        (contact, Step::Load),
        (contact, Step::Widget),
        (contact, Step::ChatOpen),
    ]);
    assert_eq!(crate::scan::phase(&steps, home, Step::Load), Step::Load);
    assert_eq!(
        crate::scan::phase(&steps, contact, Step::Load),
        Step::Consent
    );
    assert_eq!(
        crate::scan::phase(&steps, contact, Step::ChatOpen),
        Step::ChatOpen
    );
    let c = Catalog::embedded().unwrap();
    let mut key = cookie("_ga", Step::Load, false, None, "GA1.1.1");
    key.first_page = contact.into();
    let judged = |action: ConsentAction| {
        let mut scan = report(home, action, vec![key.clone()]);
        scan.steps = steps.clone();
        evaluate(&scan.facts(), &c, None)
    };
    // Accepted on the home page: the contact page's analytics cookie came after consent.
    assert!(!rules(&judged(ConsentAction::Accept)).contains(&Rule::BeforeConsent));
    // Rejected there: it was stored although consent was rejected, and the message names the page.
    let rejected = judged(ConsentAction::Reject);
    let f = rejected
        .iter()
        .find(|f| f.rule == Rule::BeforeConsent)
        .expect("before-consent after a reject");
    assert!(
        f.message.contains("rejected") && f.message.contains("/contact/"),
        "{}",
        f.message
    );
    assert_eq!(f.page.as_deref(), Some(contact));
}

#[test]
fn keys_left_after_withdrawal_are_judged_by_what_they_are_and_when_they_came() {
    let c = Catalog::embedded().unwrap();
    let url = "http://www.shop.example/";
    let mut steps = report(url, ConsentAction::Accept, Vec::new()).steps;
    steps.extend(journey_steps(&[("", Step::Withdraw)]));
    let judged = |o: Observation| {
        let mut scan = report(url, ConsentAction::Accept, vec![o]);
        scan.steps = steps.clone();
        evaluate(&scan.facts(), &c, None)
    };
    let kept = |f: &[Finding]| {
        f.iter()
            .find(|f| f.rule == Rule::KeptAfterWithdrawal)
            .map(|f| f.severity)
    };
    // Stored at consent and still there: medium; written anew after it: high.
    assert_eq!(
        kept(&judged(chat_key(Step::Consent))),
        Some(Severity::Medium)
    );
    assert_eq!(
        kept(&judged(chat_key(Step::Withdraw))),
        Some(Severity::High)
    );
    // First stored when the visitor asked for the chat: low, for review.
    assert_eq!(kept(&judged(chat_key(Step::ChatOpen))), Some(Severity::Low));
    // Strictly necessary: listed, info.
    let mut necessary = chat_key(Step::Consent);
    necessary.catalog.as_mut().unwrap().category = Category::StrictlyNecessary;
    assert_eq!(kept(&judged(necessary)), Some(Severity::Info));
    // Deleted by the withdrawal, or nobody's: nothing.
    let mut deleted = chat_key(Step::Consent);
    deleted.removed_at = Some(Step::Withdraw);
    assert_eq!(kept(&judged(deleted)), None);
    assert_eq!(
        kept(&judged(cookie("pref", Step::Consent, false, None, "1"))),
        None
    );
    // A withdrawal that did not take judges no key: it is a no-withdrawal finding instead.
    let mut failed = steps.clone();
    failed.last_mut().unwrap().status = StepStatus::Failed;
    failed.last_mut().unwrap().consent = Some(crate::consent::ConsentRecord {
        reopened: Some("the footer link".into()),
        ..Default::default()
    });
    let mut scan = report(url, ConsentAction::Accept, vec![chat_key(Step::Consent)]);
    scan.steps = failed;
    let f = evaluate(&scan.facts(), &c, None);
    assert_eq!(kept(&f), None);
    assert!(rules(&f).contains(&Rule::NoWithdrawal));
}
