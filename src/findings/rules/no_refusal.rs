//! `no-refusal`: the cookie banner offers no way to refuse, or only behind its settings while accepting takes one click.
//!
//! Consent is valid only if refusing is possible and as easy as accepting (GDPR art. 4(11) and
//! 7(3); EDPB Guidelines 05/2020 on consent; the EDPB Cookie Banner Taskforce report of
//! 17 January 2023, which found that most authorities hold a missing reject option on the
//! layer that offers accept to infringe; CNIL, 2020 guidelines and recommendation). Judged only
//! where the scan read the banner's controls by their words (a banner answered by sight, or the
//! banner around the user's own click): what a consent-manager rule answered is not read.

use super::Check;
use crate::consent::Refusal;
use crate::findings::{Finding, Judging};
use crate::vocab::{Rule, Severity, Step};

pub(super) struct NoRefusal;

impl Check for NoRefusal {
    const DESCRIPTION: &'static str =
        "The cookie banner offers no way to refuse, or only behind its settings while accepting takes one click.";

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        check(cx)
    }
}

fn check(cx: &Judging) -> Option<Finding> {
    let (record, refusal, banner) = cx
        .facts
        .steps
        .iter()
        .filter(|s| s.step == Step::Consent)
        .filter_map(|s| s.consent.as_ref())
        .find_map(|r| Some((r, r.refusal?, r.banner.as_ref()?)))?;
    let (severity, because, what) = match refusal {
        Refusal::FirstLayer => return None,
        Refusal::None => (
            Severity::High,
            "high: a banner that cannot be refused asks for no consent a visitor can freely give (GDPR art. 4(11), 7; EDPB Guidelines 05/2020)",
            "offers no way to refuse",
        ),
        Refusal::OtherPage => (
            Severity::Medium,
            "medium: the banner itself offers no refusal, only a link to another page that may (EDPB Cookie Banner Taskforce report, 2023; CNIL 2020: refusing as easy as accepting); the scan does not follow it, so whether that page refuses is not known",
            "offers no refusal on the page, only a link to another page",
        ),
        Refusal::SecondLayer => (
            Severity::Medium,
            "medium: refusing takes the settings while accepting takes one click (EDPB Cookie Banner Taskforce report, 2023; CNIL 2020: refusing as easy as accepting)",
            "offers a refusal only behind its settings",
        ),
    };
    let mut evidence = vec![
        format!("banner: {}", banner.element),
        format!(
            "its controls, by their words: {}",
            banner.controls.join("; ")
        ),
        format!(
            "a guess from its words (catalog/banner-words.toml), confidence {:.2}: {}",
            banner.confidence,
            banner.grounds.join(", ")
        ),
    ];
    if !banner.text.is_empty() {
        evidence.push(format!("its text begins: \"{}\"", banner.text));
    }
    if !record.verified.is_empty() {
        evidence.push(format!("answer checked: {}", record.verified.join("; ")));
    }
    Some(
        Finding::new(
            Rule::NoRefusal,
            severity,
            because,
            format!("the cookie banner {what}, as far as the words of its controls show"),
        )
        .step(Step::Consent)
        .evidence(evidence)
        .identity(&["banner", banner_identity(&banner.element)]),
    )
}

/// The banner's element without the frame's URL (ports change between scans).
fn banner_identity(element: &str) -> &str {
    element.split(" in ").next().unwrap_or(element)
}
