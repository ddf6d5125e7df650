//! `unknown`: a key no catalog entry and no declaration explains.

use super::Check;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity};

pub(super) struct Unknown;

impl Check for Unknown {
    const DESCRIPTION: &'static str =
        "No catalog entry and no declaration matches the key.";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(_cx: &Judging, s: &Subject) -> Option<Finding> {
    // A chat vendor's key or an Open Cookie Database platform's is known.
    if s.o.attribution.is_known() || s.declaration.is_some() {
        return None;
    }
    Some(s.finding(
        Rule::Unknown,
        Severity::Low,
        "low: unclassified, not known to be wrong; for review",
        format!("{} matches no catalog entry and no declaration", s.who),
    ))
}
