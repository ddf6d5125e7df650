//! `third-party`: a cookie or storage item of another site than the page's (informational).

use super::Check;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Party, Rule, Severity};

pub(super) struct ThirdParty;

impl Check for ThirdParty {
    const DESCRIPTION: &'static str =
        "A third-party cookie or storage item (informational).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    (s.o.party == Party::ThirdParty).then(|| {
        s.finding(
            Rule::ThirdParty,
            Severity::Info,
            "informational: third-party storage is no breach by itself",
            format!(
                "{} is third-party ({} on a page of {})",
                s.who, s.o.location, cx.page_site
            ),
        )
    })
}
