//! The comparison on synthetic contents: keys by identity, findings by fingerprint, values only when asked.

use super::*;

fn key(storage: &str, name: &str, place: &str) -> KeyState {
    KeyState {
        storage: storage.into(),
        name: name.into(),
        place: place.into(),
        vendor: None,
        catalog_key: None,
        category: None,
        party: "first-party".into(),
        first_step: "load".into(),
        expiry_class: "session".into(),
        http_only: None,
        secure: None,
        same_site: None,
        partitioned: None,
        value_sha256: String::new(),
    }
}

fn finding(fingerprint: &str) -> FindingBrief {
    FindingBrief {
        fingerprint: fingerprint.into(),
        rule: fingerprint.split('|').next().unwrap_or_default().into(),
        severity: "high".into(),
        message: format!("about {fingerprint}"),
        key_name: None,
        gating: false,
    }
}

fn names(keys: &[KeyState]) -> Vec<&str> {
    keys.iter().map(|k| k.name.as_str()).collect()
}

#[test]
fn compare_lists_new_gone_and_changed_keys_by_identity() {
    let before = ScanContents {
        keys: vec![
            key("cookie", "site_lang", "www.shop.test"),
            key("cookie", "_ga", ".shop.test"),
            key("localStorage", "same", "http://www.shop.test"),
        ],
        findings: Vec::new(),
    };
    let mut ga = key("cookie", "_ga", ".shop.test");
    ga.first_step = "consent".into();
    ga.vendor = Some("web1on1".into());
    let after = ScanContents {
        keys: vec![
            ga,
            key("localStorage", "same", "http://www.shop.test"),
            key("localStorage", "widget_uuid", "http://www.shop.test"),
            // Same name, other place: another key.
            key("cookie", "site_lang", ".shop.test"),
        ],
        findings: Vec::new(),
    };
    let c = compare(&before, &after, Compared::Attributes);
    assert_eq!(names(&c.new_keys), ["widget_uuid", "site_lang"]);
    assert_eq!(c.new_keys[1].place, ".shop.test");
    assert_eq!(names(&c.gone_keys), ["site_lang"]);
    assert_eq!(c.gone_keys[0].place, "www.shop.test");
    assert_eq!(c.changed_keys.len(), 1);
    let changed = &c.changed_keys[0];
    assert_eq!(changed.key.name, "_ga");
    let what: Vec<(&str, Option<&str>, Option<&str>)> = changed
        .changes
        .iter()
        .map(|a| {
            (
                a.attribute.as_str(),
                a.before.as_deref(),
                a.after.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        what,
        [
            ("vendor", None, Some("web1on1")),
            ("first_step", Some("load"), Some("consent")),
        ]
    );
}

#[test]
fn compare_matches_findings_by_fingerprint() {
    let mut renamed = finding("before-consent|cookie|_ga|shop.test");
    renamed.message = "worded differently".into();
    let before = ScanContents {
        keys: Vec::new(),
        findings: vec![
            finding("before-consent|cookie|_ga|shop.test"),
            finding("unknown|cookie|site_lang|shop.test"),
        ],
    };
    let after = ScanContents {
        keys: Vec::new(),
        findings: vec![
            renamed,
            finding("vendor-promise|x|localStorage|widget_uuid"),
        ],
    };
    let c = compare(&before, &after, Compared::Attributes);
    let fps = |f: &[FindingBrief]| f.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
    assert_eq!(
        fps(&c.new_findings),
        ["vendor-promise|x|localStorage|widget_uuid"]
    );
    assert_eq!(
        fps(&c.resolved_findings),
        ["unknown|cookie|site_lang|shop.test"]
    );
    assert!(c.new_keys.is_empty() && c.gone_keys.is_empty() && c.changed_keys.is_empty());
}

#[test]
fn compare_of_identical_scans_is_empty_and_duplicates_count_once() {
    let contents = ScanContents {
        keys: vec![
            key("cookie", "a", "x.test"),
            key("cookie", "a", "x.test"), // same identity, e.g. another path
        ],
        findings: vec![finding("unknown|a"), finding("unknown|a")],
    };
    assert!(compare(&contents, &contents, Compared::Attributes).is_empty());
    let empty = ScanContents::default();
    let c = compare(&empty, &contents, Compared::Attributes);
    assert_eq!(names(&c.new_keys), ["a"]);
    assert_eq!(c.new_findings.len(), 1);
    let c = compare(&contents, &empty, Compared::Attributes);
    assert_eq!(names(&c.gone_keys), ["a"]);
    assert_eq!(c.resolved_findings.len(), 1);
}

#[test]
fn values_count_as_a_change_only_when_compared() {
    let mut before = key("cookie", "site_consent", ".shop.test");
    before.value_sha256 = "aaaa".into();
    let mut after = before.clone();
    after.value_sha256 = "bbbb".into();
    let (b, a) = (
        ScanContents {
            keys: vec![before],
            findings: vec![],
        },
        ScanContents {
            keys: vec![after],
            findings: vec![],
        },
    );
    assert!(compare(&b, &a, Compared::Attributes).is_empty());
    let c = compare(&b, &a, Compared::Values);
    assert_eq!(c.changed_keys.len(), 1, "{c:?}");
    assert_eq!(c.changed_keys[0].changes[0].attribute, "value");
    assert_eq!(
        c.changed_keys[0].changes[0].before.as_deref(),
        Some("#aaaa")
    );
}
