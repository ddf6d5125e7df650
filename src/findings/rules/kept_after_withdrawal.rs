//! `kept-after-withdrawal`: a chat vendor's or an analytics platform's key still stored after consent was withdrawn, or written anew after it (info where it is strictly necessary).
//!
//! Withdrawing consent must be as easy as giving it and stops what consent allowed (GDPR art.
//! 7(3)); storing or reading on the visitor's device needs consent unless strictly necessary
//! (ePrivacy art. 5(3)); the EDPB (Guidelines 05/2020, §117) expects what was processed on
//! consent to be deleted once it is withdrawn, absent another legal basis; CNIL (2020
//! recommendation) the same. A consent manager can delete the cookies it is told of; web storage
//! and another origin's storage are out of its reach unless the widget is told to clean up.

use super::Check;
use crate::catalog::Category;
use crate::findings::{Finding, Judging, Subject};
use crate::observation::Altered;
use crate::scan::StepStatus;
use crate::vocab::{Rule, Severity, Step, StorageKind};

pub(super) struct KeptAfterWithdrawal;

impl Check for KeptAfterWithdrawal {
    const DESCRIPTION: &'static str =
        "A chat vendor's or an analytics platform's key was still stored after consent was withdrawn, or written anew after it (info when strictly necessary).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let withdrawal = cx.facts.steps.iter().find(|r| {
        r.step == Step::Withdraw && matches!(r.status, StepStatus::Done | StepStatus::TimedOut)
    })?;
    let o = s.o;
    if o.removed_at.is_some() {
        return None;
    }
    let necessary = s.category == Some(Category::StrictlyNecessary);
    let tracking = matches!(s.category, Some(Category::Analytics | Category::Marketing));
    if o.attribution.vendor().is_none() && !tracking {
        return None;
    }
    let anew = o.first_step == Step::Withdraw;
    let rewritten = o
        .changes
        .iter()
        .any(|c| c.step == Step::Withdraw && !c.what.contains(&Altered::Removed));
    let asked_for_chat = s.phase >= Step::ChatOpen && s.phase < Step::Withdraw;
    let (severity, because) = if necessary {
        // Listed so that what the withdrawal left is complete; no consent was needed for it.
        (
            Severity::Info,
            "info: rated strictly necessary, so it needs no consent and withdrawing consent does not oblige deleting it (ePrivacy art. 5(3) exemption); listed so that what the withdrawal left is complete",
        )
    } else if anew || rewritten {
        (
            Severity::High,
            "high: written after consent was withdrawn: the widget goes on storing on the visitor's device without consent (GDPR art. 7(3), ePrivacy art. 5(3))",
        )
    } else if tracking {
        (
            Severity::High,
            "high: analytics or marketing storage kept after consent was withdrawn (GDPR art. 7(3); EDPB Guidelines 05/2020 §117: delete what was processed on consent)",
        )
    } else if asked_for_chat {
        (
            Severity::Low,
            "low: first stored when the visitor asked for the chat, which the withdrawal of cookie consent does not take back; whether it still serves that request is for review",
        )
    } else {
        (
            Severity::Medium,
            "medium: kept after consent was withdrawn, readable by the widget on the next page or visit (GDPR art. 7(3); EDPB Guidelines 05/2020 §117)",
        )
    };
    let what = if anew {
        "was written after consent was withdrawn".to_string()
    } else if rewritten {
        "was rewritten after consent was withdrawn".to_string()
    } else if o.out_of_sight {
        "is still stored after consent was withdrawn, as far as can be told: its frame was not on the page after the withdrawal, so its storage could not be read again, and nothing on the page can delete another origin's storage (an inference)".to_string()
    } else {
        "is still stored after consent was withdrawn".to_string()
    };
    let deleted: Vec<String> = cx
        .facts
        .observations
        .iter()
        .filter(|k| k.removed_at == Some(Step::Withdraw))
        .map(|k| format!("`{}`", k.name))
        .collect();
    let reach = match o.storage {
        StorageKind::Cookie => {
            "a cookie: the consent manager could have deleted it had it been told of it"
        }
        _ => {
            "web storage: out of a consent manager's reach, the widget itself must be told to clean up"
        }
    };
    let mut finding = s.finding(
        Rule::KeptAfterWithdrawal,
        severity,
        because,
        format!("{} {what}", s.who),
    );
    finding.step = Some(Step::Withdraw);
    finding.page = (!withdrawal.page.is_empty()).then(|| withdrawal.page.clone());
    finding
        .evidence
        .push(format!("withdrawal: {}", withdrawal.detail));
    finding.evidence.push(if deleted.is_empty() {
        "the withdrawal deleted nothing".to_string()
    } else {
        format!("the withdrawal deleted {}", deleted.join(", "))
    });
    finding.evidence.push(format!("this key is {reach}"));
    Some(finding)
}
