//! `personal-data`: a value that holds an e-mail address, a phone number or a name.

use crate::findings::{Finding, Judging, Subject, personal};
use crate::vocab::{Rule, Severity};

pub fn check(_cx: &Judging, s: &Subject) -> Vec<Finding> {
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
