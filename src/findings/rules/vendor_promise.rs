//! `vendor-promise`: a chat vendor's published promise, checked against what its keys did.

use crate::catalog::PromiseRule;
use crate::findings::{Finding, Judging, KeyRef, evidence_of, personal};
use crate::observation::{Observation, VendorSeen};
use crate::vocab::{Rule, Severity, Step, StorageKind, human_lifetime};

pub fn check(cx: &Judging) -> Vec<Finding> {
    let mut out = Vec::new();
    for seen in cx.facts.vendors {
        let Some(vendor) = cx.catalog.vendor(&seen.id) else {
            continue;
        };
        let keys: Vec<&Observation> = cx
            .facts
            .observations
            .iter()
            .filter(|o| o.attribution.vendor() == Some(vendor.id.as_str()))
            .collect();
        for p in &vendor.promises {
            // A conditional promise is weaker evidence of a breach than an unconditional one.
            let (severity, because, condition) = match &p.condition {
                Some(c) => (
                    Severity::Low,
                    format!("low: the promise holds only {c}, which the scan cannot check"),
                    format!(" (the promise holds {c})"),
                ),
                None => (
                    Severity::High,
                    "high: the vendor's own unconditional published promise is broken; a declaration that relies on it is wrong".to_string(),
                    String::new(),
                ),
            };
            let quote = format!(
                "{} promises: \"{}\" [{}]",
                vendor.name,
                p.quote,
                p.source.get_ref()
            );
            let mut broken = |o: &Observation, why: String, severity: Severity, because: &str| {
                out.push(
                    Finding::new(
                        Rule::VendorPromise,
                        severity,
                        because,
                        format!("{}: `{}` {why}{condition}", vendor.name, o.name),
                    )
                    .key(KeyRef::of(o))
                    .step(o.first_step)
                    .page(&o.first_page)
                    .evidence(
                        std::iter::once(quote.clone())
                            .chain(evidence_of(o))
                            .collect(),
                    )
                    .identity(&[&p.id, o.storage.as_str(), &o.name]),
                );
            };
            match p.rule {
                PromiseRule::NoStorageBefore => {
                    let step = p.step.unwrap_or(Step::Consent);
                    for o in keys
                        .iter()
                        .filter(|o| cx.phase(&o.first_page, o.first_step) < step)
                    {
                        let because = match &p.condition {
                            Some(_) => because.clone(),
                            None => early_because(cx, seen, &vendor.name, step, o),
                        };
                        broken(
                            o,
                            format!(
                                "was stored at {}, before `{step}`",
                                cx.when(&o.first_page, o.first_step)
                            ),
                            severity,
                            &because,
                        );
                    }
                }
                PromiseRule::SessionCookiesOnly => {
                    for o in keys
                        .iter()
                        .filter(|o| o.cookie.as_ref().is_some_and(|c| c.expires.is_some()))
                    {
                        let life = o
                            .cookie
                            .as_ref()
                            .and_then(|c| c.lifetime_seconds)
                            .map_or_else(String::new, human_lifetime);
                        broken(
                            o,
                            format!("is a persistent cookie ({life}), not a session cookie"),
                            severity,
                            &because,
                        );
                    }
                }
                PromiseRule::NoPersonalDataInCookies => {
                    for o in keys.iter().filter(|o| o.storage == StorageKind::Cookie) {
                        for pd in personal::scan_value(&o.raw_value) {
                            broken(
                                o,
                                format!("holds a {} at {}", pd.kind, pd.location),
                                Severity::High,
                                "high: personal data in a cookie, against the vendor's own promise",
                            );
                        }
                    }
                }
                PromiseRule::NoPersonalDataInLocalStorage => {
                    for o in keys
                        .iter()
                        .filter(|o| o.storage == StorageKind::LocalStorage)
                    {
                        for pd in personal::scan_value(&o.raw_value) {
                            broken(
                                o,
                                format!("holds a {} at {}", pd.kind, pd.location),
                                Severity::High,
                                "high: personal data in localStorage, against the vendor's own promise",
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

/// Why a key stored before the step an unconditional promise names is a high finding: what the
/// vendor promises, when the key came, and (where the scan shows it) that the consent answer
/// loaded the widget, which then stored the key without the visitor touching the chat.
fn early_because(
    cx: &Judging,
    seen: &VendorSeen,
    vendor: &str,
    step: Step,
    o: &Observation,
) -> String {
    let first = o.first_step;
    let mut why = format!(
        "high: the vendor's own unconditional published promise is broken: {vendor} promises that nothing is stored before `{step}`, yet `{}` was stored at `{first}`",
        o.name
    );
    match seen.first_shown() {
        Some((reason, at))
            if first == Step::Consent && at == Step::Consent && cx.consent.accepted =>
        {
            why.push_str(&format!(
                ", as soon as the consent answer loaded the widget ({reason} first showed at `consent`), without the visitor touching the chat: accepting cookies is not asking for the chat"
            ));
        }
        _ if first == Step::Consent && cx.consent.accepted => {
            why.push_str(", right after the consent answer, without the visitor touching the chat: accepting cookies is not asking for the chat");
        }
        _ if first < Step::Consent => {
            why.push_str(", before the visitor gave any answer or touched the chat");
        }
        _ => {}
    }
    if first >= Step::Consent && cx.consent.accepted {
        why.push_str(". The consent given may cover the storage itself; the vendor's promise, and a cookie declaration that relies on it, are still wrong");
    } else {
        why.push_str("; a declaration that relies on the promise is wrong");
    }
    why
}
