//! `vendor-promise`: a chat vendor's published promise, checked against what its keys did.

use super::Check;
use crate::catalog::{Promise, PromiseRule};
use crate::findings::{Finding, Judging, KeyRef, evidence_of, personal};
use crate::observation::{Observation, VendorSeen};
use crate::vocab::{Rule, Severity, Step, StorageKind, human_lifetime};

pub(super) struct VendorPromise;

impl Check for VendorPromise {
    const DESCRIPTION: &'static str =
        "A chat vendor broke one of its own published promises.";

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        check(cx)
    }
}

fn check(cx: &Judging) -> Vec<Finding> {
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
            let condition = p
                .condition
                .as_ref()
                .map_or_else(String::new, |c| format!(" (the promise holds {c})"));
            let quote = format!(
                "{} promises: \"{}\" [{}]",
                vendor.name,
                p.quote,
                p.source.get_ref()
            );
            for b in breaches(cx, seen, &vendor.name, p, &keys) {
                let o = b.o;
                out.push(
                    Finding::new(
                        Rule::VendorPromise,
                        b.severity,
                        b.because,
                        format!("{}: `{}` {}{condition}", vendor.name, o.name, b.what),
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
            }
        }
    }
    out
}

/// A key that breaks a promise: what it did, and how serious that is.
struct Breach<'o> {
    o: &'o Observation,
    what: String,
    severity: Severity,
    because: String,
}

/// The vendor's keys that break promise `p`, in the order the scan observed them.
fn breaches<'o>(
    cx: &Judging,
    seen: &VendorSeen,
    vendor: &str,
    p: &Promise,
    keys: &[&'o Observation],
) -> Vec<Breach<'o>> {
    // A conditional promise is weaker evidence of a breach than an unconditional one.
    let (severity, because) = match &p.condition {
        Some(c) => (
            Severity::Low,
            format!("low: the promise holds only {c}, which the scan cannot check"),
        ),
        None => (
            Severity::High,
            "high: the vendor's own unconditional published promise is broken; a declaration that relies on it is wrong".to_string(),
        ),
    };
    let breach = |o: &'o Observation, what: String| Breach {
        o,
        what,
        severity,
        because: because.clone(),
    };
    let personal = |kind: StorageKind, because: &str| {
        keys.iter()
            .filter(|o| o.storage == kind)
            .flat_map(|o| {
                personal::scan_value(&o.raw_value)
                    .into_iter()
                    .map(move |pd| Breach {
                        o,
                        what: format!("holds a {} at {}", pd.kind, pd.location),
                        severity: Severity::High,
                        because: because.to_string(),
                    })
            })
            .collect()
    };
    match p.rule {
        PromiseRule::NoStorageBefore => {
            let step = p.step.unwrap_or(Step::Consent);
            keys.iter()
                .filter(|o| cx.phase(&o.first_page, o.first_step) < step)
                .map(|o| {
                    let what = format!(
                        "was stored at {}, before `{step}`",
                        cx.when(&o.first_page, o.first_step)
                    );
                    match &p.condition {
                        Some(_) => breach(o, what),
                        None => Breach {
                            because: early_because(cx, seen, vendor, step, o),
                            ..breach(o, what)
                        },
                    }
                })
                .collect()
        }
        PromiseRule::SessionCookiesOnly => keys
            .iter()
            .filter(|o| o.cookie.as_ref().is_some_and(|c| c.expires.is_some()))
            .map(|o| {
                let life = o
                    .cookie
                    .as_ref()
                    .and_then(|c| c.lifetime_seconds)
                    .map_or_else(String::new, human_lifetime);
                breach(
                    o,
                    format!("is a persistent cookie ({life}), not a session cookie"),
                )
            })
            .collect(),
        PromiseRule::NoPersonalDataInCookies => personal(
            StorageKind::Cookie,
            "high: personal data in a cookie, against the vendor's own promise",
        ),
        PromiseRule::NoPersonalDataInLocalStorage => personal(
            StorageKind::LocalStorage,
            "high: personal data in localStorage, against the vendor's own promise",
        ),
    }
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
