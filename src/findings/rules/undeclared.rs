//! `undeclared`: a key the site's policy does not declare, or declares only from a later step.

use super::Check;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity};

pub(super) struct Undeclared;

impl Check for Undeclared {
    const DESCRIPTION: &'static str =
        "A key was observed that the site's policy does not declare (or not at that step).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let p = cx.policy?;
    match s.declaration {
        None => Some(s.finding(
            Rule::Undeclared,
            Severity::High,
            "high: the site's own policy does not declare it, so its cookie declaration is incomplete",
            format!(
                "{}, first stored at {}, is not declared in {}",
                s.who,
                s.when,
                p.path.display()
            ),
        )),
        Some((_, d)) if s.phase < d.earliest_step => Some(
            s.finding(
                Rule::Undeclared,
                Severity::High,
                "high: stored earlier than the site's own policy declares it",
                format!(
                    "{} is declared from `{}` on, but was stored at {}",
                    s.who, d.earliest_step, s.when
                ),
            )
            .policy_line(Some(d.line)),
        ),
        Some(_) => None,
    }
}
