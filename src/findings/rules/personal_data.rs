//! `personal-data`: a value that holds an e-mail address, a phone number or a name.

use super::Check;
use crate::findings::{Finding, Judging, Subject, personal};
use crate::vocab::{Rule, Severity};

pub(super) struct PersonalData;

impl Check for PersonalData {
    const DESCRIPTION: &'static str =
        "A cookie or storage value holds personal data (e-mail address, phone number, name).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(_cx: &Judging, s: &Subject) -> Vec<Finding> {
    personal::scan_value(&s.o.raw_value)
        .into_iter()
        .map(|pd| {
            s.finding(
                Rule::PersonalData,
                Severity::High,
                "high: personal data in browser storage is readable by any script of the page and sent with requests",
                format!("{} holds a {} at {}", s.who, pd.kind, pd.location),
            )
        })
        .collect()
}
