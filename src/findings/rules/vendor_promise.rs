//! `vendor-promise`: a chat vendor's published promise, checked against what its keys did.

use crate::catalog::PromiseRule;
use crate::findings::{Finding, Judging, KeyRef, evidence_of, personal};
use crate::observation::Observation;
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
                    for o in keys.iter().filter(|o| o.first_step < step) {
                        broken(
                            o,
                            format!("was stored at `{}`, before `{step}`", o.first_step),
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
            }
        }
    }
    out
}
