//! `missing-secure`: a cookie without Secure on an https page (informational).

use super::Check;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity};

pub(super) struct MissingSecure;

impl Check for MissingSecure {
    const DESCRIPTION: &'static str =
        "A cookie on an https page lacks Secure (informational).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let c = s.o.cookie.as_ref()?;
    (cx.https && !c.secure).then(|| {
        s.finding(
            Rule::MissingSecure,
            Severity::Info,
            "informational: a hardening hint, not a consent matter",
            format!("{} lacks Secure on an https page", s.who),
        )
    })
}
