//! `no-withdrawal`: consent could not be withdrawn: no way back into the consent settings was found, or the refusal there did not take.
//!
//! GDPR art. 7(3): the visitor may withdraw consent at any time, and withdrawing must be as easy
//! as giving it; CNIL (2020 recommendation): a way to withdraw reachable at any time, e.g. a
//! link on every page. Judged only where the scan was asked to withdraw (the `withdraw` step)
//! after consent was given. Not finding a way back is what chatcookie could see: a control it
//! does not know may exist (`--withdraw-click` answers that), so the finding says what was tried.

use super::Check;
use crate::findings::{Finding, Judging};
use crate::scan::StepStatus;
use crate::vocab::{Rule, Severity, Step};

pub(super) struct NoWithdrawal;

impl Check for NoWithdrawal {
    const DESCRIPTION: &'static str =
        "Consent could not be withdrawn: no way back into the consent settings was found, or the refusal there did not take.";

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        check(cx)
    }
}

fn check(cx: &Judging) -> Option<Finding> {
    let step = cx.facts.steps.iter().find(|r| r.step == Step::Withdraw)?;
    let record = step.consent.as_ref()?;
    let (because, what) = match (&record.reopened, step.status) {
        (None, _) => (
            "medium: no way to withdraw consent was found on the page, while giving it took one click (GDPR art. 7(3): withdrawing as easy as consenting); a control chatcookie does not know may exist, so this is for review",
            "no way to withdraw consent was found (no control of the consent manager, no documented call, no link saying cookie settings)".to_string(),
        ),
        (Some(how), StepStatus::Failed) => (
            "medium: the consent settings reopened, but the refusal there did not take (GDPR art. 7(3))",
            format!("the consent settings reopened ({how}), but the refusal did not take"),
        ),
        _ => return None,
    };
    let mut evidence = vec![format!("withdraw step: {}", step.detail)];
    evidence.extend(record.tried.iter().map(|t| format!("tried: {t}")));
    Some(
        Finding::new(Rule::NoWithdrawal, Severity::Medium, because, what)
            .step(Step::Withdraw)
            .page(&step.page)
            .evidence(evidence)
            .identity(&["withdrawal"]),
    )
}
