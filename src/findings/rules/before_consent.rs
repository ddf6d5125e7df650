//! `before-consent`: a key that is not strictly necessary, stored before consent or after a reject, and not by the visitor's own request for the chat.

use super::Check;
use crate::catalog::Category;
use crate::findings::{Finding, Judging, Subject};
use crate::observation::Observation;
use crate::vocab::{Rule, Severity, Step, StorageKind};

pub(super) struct BeforeConsent;

impl Check for BeforeConsent {
    const DESCRIPTION: &'static str =
        "A key that is not strictly necessary was stored before consent, or after consent was rejected.";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let o = s.o;
    if s.category == Some(Category::StrictlyNecessary) {
        return None;
    }
    let consent = &cx.consent;
    if consent.accepted && s.phase >= Step::Consent {
        return None;
    }
    let tracking = matches!(s.category, Some(Category::Analytics | Category::Marketing));
    // Storage the chat needs, first written when the visitor asked for the chat, serves a
    // service the visitor explicitly requested: no consent needed (ePrivacy art. 5(3)).
    if consent.chat_opened
        && s.phase >= Step::ChatOpen
        && o.attribution.vendor().is_some()
        && !tracking
    {
        return None;
    }
    let before_action = s.phase < Step::ChatOpen;
    let (severity, because) = match s.category {
        Some(Category::Analytics | Category::Marketing) => (
            Severity::High,
            "high: analytics or marketing storage without consent (ePrivacy art. 5(3))",
        ),
        Some(_) if consent.no_banner && before_action && persistent(o) => (
            Severity::High,
            "high: a persistent key stored before any consent or visitor action, and automatic consent found no consent banner (no consent-manager rule matched and none was seen by its words): the visitor cannot refuse it (ePrivacy art. 5(3)); if the page has a banner chatcookie did not see, answer it with --consent-click or --consent-text",
        ),
        Some(_) => (
            Severity::Medium,
            "medium: a known key that is not strictly necessary, stored before consent (ePrivacy art. 5(3))",
        ),
        None => (
            Severity::Low,
            "low: no catalog knows this key, so whether it is necessary is not known; for review",
        ),
    };
    let when = if consent.rejected && s.phase >= Step::Consent {
        format!("was stored at {} although consent was rejected", s.when)
    } else {
        format!(
            "was stored at {}, before consent ({})",
            s.when, consent.description
        )
    };
    let cat = s
        .category
        .map_or("no known category".to_string(), |c| format!("category {c}"));
    Some(s.finding(
        Rule::BeforeConsent,
        severity,
        because,
        format!("{} {when}; {cat}", s.who),
    ))
}

/// Kept beyond the visit: a cookie with an expiry, or localStorage.
fn persistent(o: &Observation) -> bool {
    match &o.cookie {
        Some(c) => c.lifetime_seconds.is_some(),
        None => o.storage == StorageKind::LocalStorage,
    }
}
