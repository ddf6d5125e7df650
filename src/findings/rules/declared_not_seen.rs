//! `declared-not-seen`: a declaration nothing matched, although the scan ran the step it is declared for.

use super::Check;
use crate::findings::{Finding, Judging};
use crate::scan::StepStatus;
use crate::vocab::{Rule, Severity};

pub(super) struct DeclaredNotSeen;

impl Check for DeclaredNotSeen {
    const DESCRIPTION: &'static str =
        "The policy declares a key that the scan never observed: a stale declaration.";

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        check(cx)
    }
}

fn check(cx: &Judging) -> Vec<Finding> {
    let Some(policy) = cx.policy else {
        return Vec::new();
    };
    let last_step = cx
        .facts
        .steps
        .iter()
        .filter(|s| s.status != StepStatus::Skipped)
        .map(|s| s.step)
        .max();
    policy
        .declarations
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !cx.facts
                .observations
                .iter()
                .any(|o| policy.declaration_for(o).is_some_and(|(j, _)| j == *i))
        })
        .filter(|(_, d)| last_step.is_some_and(|s| s >= d.earliest_step))
        .map(|(_, d)| {
            Finding::new(
                Rule::DeclaredNotSeen,
                Severity::Low,
                "low: a stale declaration misleads visitors but stores nothing",
                format!(
                    "`{}` is declared ({}:{}) but was never observed",
                    d.pattern,
                    policy.path.display(),
                    d.line
                ),
            )
            .evidence(vec![
                format!("declared purpose: {}", d.purpose),
                format!("declared from step `{}`", d.earliest_step),
            ])
            .policy_line(Some(d.line))
            .identity(&[
                &d.pattern.to_string(),
                d.storage.map(|s| s.as_str()).unwrap_or("any"),
            ])
        })
        .collect()
}
