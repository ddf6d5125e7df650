//! `before-consent`: a key that is not strictly necessary, stored before consent or after a reject.

use crate::catalog::Category;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity, Step};

pub fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let o = s.o;
    if s.category == Some(Category::StrictlyNecessary) {
        return None;
    }
    let consent = &cx.consent;
    if consent.accepted && o.first_step >= Step::Consent {
        return None;
    }
    // Known trackers weigh most; keys nobody classified are reported, but low.
    let severity = match s.category {
        Some(Category::Analytics | Category::Marketing) => Severity::High,
        Some(_) => Severity::Medium,
        None => Severity::Low,
    };
    let when = if consent.rejected && o.first_step >= Step::Consent {
        format!(
            "was stored at `{}` although consent was rejected",
            o.first_step
        )
    } else {
        format!(
            "was stored at `{}`, before consent ({})",
            o.first_step, consent.description
        )
    };
    let cat = s
        .category
        .map_or("no known category".to_string(), |c| format!("category {c}"));
    Some(s.finding(
        Rule::BeforeConsent,
        severity,
        format!("{} {when}; {cat}", s.who),
    ))
}
