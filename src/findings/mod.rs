//! Findings: the judgements drawn from a scan's observations, each with a rule, a severity and its evidence.

pub mod personal;

use crate::vocab::{Rule, Severity};
use crate::catalog::{Catalog, Category, DeclaredDuration, PromiseRule, Scope};
use crate::vocab::StorageKind;
use crate::observation::Observation;
use crate::vocab::Party;
use crate::policy::Policy;
use crate::report::ScanReport;
use crate::vocab::human_lifetime;
use crate::scan::StepStatus;
use crate::vocab::{ConsentAction, Step};
use crate::vocab::{host_of, site_of};
use serde::{Deserialize, Serialize};








/// The key a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    pub storage: StorageKind,
    pub name: String,
    pub location: String,
}

/// One judgement, with the evidence an auditor can defend.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// Facts backing the finding: when, with which attributes, which promise or declaration.
    pub evidence: Vec<String>,
    /// The policy line a declaration-related finding points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_line: Option<usize>,
    /// A stable identity across scans (no ports, no values), for baselines and diffs.
    pub fingerprint: String,
    /// Set by the gate: this finding fails the run.
    #[serde(default)]
    pub gating: bool,
    /// Set by the gate: the baseline already had it.
    #[serde(default)]
    pub in_baseline: bool,
}

/// How the consent step went, as the rules need it.
struct ConsentState {
    accepted: bool,
    rejected: bool,
    chat_opened: bool,
    description: &'static str,
}

fn consent_state(report: &ScanReport) -> ConsentState {
    let ran = |step: Step| {
        report
            .steps
            .iter()
            .any(|s| s.step == step && s.status != StepStatus::Skipped)
    };
    // Consent is given only by an answer that took: a failed one (the banner stayed, or the
    // CMP recorded another choice) is no consent.
    let consent_ran = report.steps.iter().any(|s| {
        s.step == Step::Consent && matches!(s.status, StepStatus::Done | StepStatus::TimedOut)
    });
    let action = report.provenance.options.consent.action;
    let accepted = consent_ran && action == ConsentAction::Accept;
    let rejected = consent_ran && action == ConsentAction::Reject;
    ConsentState {
        accepted,
        rejected,
        chat_opened: ran(Step::ChatOpen),
        description: if accepted {
            "consent was accepted at the consent step"
        } else if rejected {
            "consent was rejected at the consent step"
        } else {
            "consent was never given in this scan"
        },
    }
}

/// Judges a scan report: every rule over every observation, the vendors' promises, and the policy.
pub fn evaluate(report: &ScanReport, catalog: &Catalog, policy: Option<&Policy>) -> Vec<Finding> {
    let consent = consent_state(report);
    let page_site = host_of(&report.provenance.final_url)
        .map(|h| site_of(&h))
        .unwrap_or_default();
    let https = report.provenance.final_url.starts_with("https://");
    let mut out = Vec::new();
    for o in &report.observations {
        let decl = policy.and_then(|p| p.declaration_for(o));
        let category = decl
            .and_then(|(_, d)| d.category)
            .or(o.catalog.as_ref().map(|c| c.category));
        let key = KeyRef {
            storage: o.storage,
            name: o.name.clone(),
            location: o.location.clone(),
        };
        let site = o.cookie.as_ref().map_or_else(
            || {
                host_of(&o.location)
                    .map(|h| site_of(&h))
                    .unwrap_or_default()
            },
            |c| site_of(&c.domain),
        );
        let fp = |rule: Rule| format!("{rule}|{}|{}|{site}", o.storage, o.name);
        let mut push = |rule: Rule,
                        severity: Severity,
                        step: Option<Step>,
                        message: String,
                        evidence: Vec<String>,
                        policy_line: Option<usize>| {
            out.push(Finding {
                rule,
                severity,
                message,
                key: Some(key.clone()),
                step,
                evidence,
                policy_line,
                fingerprint: fp(rule),
                gating: false,
                in_baseline: false,
            });
        };
        let seen = evidence_of(o);
        let who = match &o.catalog {
            Some(c) => format!("`{}` ({}, {})", o.name, c.vendor_name, o.storage),
            None => format!("`{}` ({})", o.name, o.storage),
        };

        // before-consent
        if category != Some(Category::StrictlyNecessary) {
            let before = !consent.accepted || o.first_step < Step::Consent;
            if before {
                // Known trackers weigh most; keys nobody classified are reported, but low.
                let severity = match category {
                    Some(Category::Analytics | Category::Marketing) => Severity::High,
                    Some(_) => Severity::Medium,
                    None => Severity::Low,
                };
                let when = if consent.rejected && o.first_step >= Step::Consent {
                    format!(
                        "was stored at `{}` although consent was rejected",
                        o.first_step
                    )
                } else {
                    format!(
                        "was stored at `{}`, before consent ({})",
                        o.first_step, consent.description
                    )
                };
                let cat =
                    category.map_or("no known category".to_string(), |c| format!("category {c}"));
                push(
                    Rule::BeforeConsent,
                    severity,
                    Some(o.first_step),
                    format!("{who} {when}; {cat}"),
                    seen.clone(),
                    None,
                );
            }
        }

        // before-chat-open
        if o.attribution.vendor().is_some() && o.catalog.is_some() && o.first_step < Step::ChatOpen
        {
            let scope = o
                .attribution
                .key()
                .and_then(|k| catalog.lookup(k).or_else(|| catalog.lookup(&o.name)))
                .map(|m| m.key.scope);
            let covered = consent.accepted && o.first_step >= Step::Consent;
            if scope != Some(Scope::VendorWebsite) && !covered {
                let opened = if consent.chat_opened {
                    "before the visitor opened the chat"
                } else {
                    "and the chat was never opened"
                };
                push(
                    Rule::BeforeChatOpen,
                    Severity::Medium,
                    Some(o.first_step),
                    format!(
                        "{who} was stored at `{}`, {opened}: it needs consent until the visitor asks for the chat",
                        o.first_step
                    ),
                    seen.clone(),
                    None,
                );
            }
        }

        // unknown (a chat vendor's key or an Open Cookie Database platform's is known)
        if !o.attribution.is_known() && decl.is_none() {
            push(
                Rule::Unknown,
                Severity::Low,
                Some(o.first_step),
                format!("{who} matches no catalog entry and no declaration"),
                seen.clone(),
                None,
            );
        }

        // undeclared
        if let Some(p) = policy {
            match decl {
                None => push(
                    Rule::Undeclared,
                    Severity::High,
                    Some(o.first_step),
                    format!(
                        "{who}, first stored at `{}`, is not declared in {}",
                        o.first_step,
                        p.path.display()
                    ),
                    seen.clone(),
                    None,
                ),
                Some((_, d)) if o.first_step < d.earliest_step => push(
                    Rule::Undeclared,
                    Severity::High,
                    Some(o.first_step),
                    format!(
                        "{who} is declared from `{}` on, but was stored at `{}`",
                        d.earliest_step, o.first_step
                    ),
                    seen.clone(),
                    Some(d.line),
                ),
                Some(_) => {}
            }
        }

        // duration
        if let Some(c) = &o.cookie {
            let declared = decl.and_then(|(_, d)| {
                d.max_lifetime.clone().map(|m| {
                    (
                        m,
                        format!(
                            "{}:{}",
                            policy
                                .map(|p| p.path.display().to_string())
                                .unwrap_or_default(),
                            d.line
                        ),
                        Some(d.line),
                    )
                })
            });
            let declared = declared.or_else(|| {
                o.catalog.as_ref().map(|f| {
                    (
                        f.declared_duration.clone(),
                        match &f.database {
                            Some(db) => format!("the {db} ({})", f.vendor_name),
                            None => format!("the {} catalog", f.vendor_name),
                        },
                        None,
                    )
                })
            });
            if let Some((limit, by, line)) = declared {
                let severity = if line.is_some() {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                match (limit, c.lifetime_seconds) {
                    (DeclaredDuration::Session, Some(life)) => push(
                        Rule::Duration,
                        severity,
                        Some(o.first_step),
                        format!(
                            "{who} is persistent ({}) where {by} declares a session cookie",
                            human_lifetime(life)
                        ),
                        seen.clone(),
                        line,
                    ),
                    (DeclaredDuration::Period { seconds, text }, Some(life))
                        if life > tolerated(seconds) =>
                    {
                        push(
                            Rule::Duration,
                            severity,
                            Some(o.first_step),
                            format!(
                                "{who} lives {} where {by} declares {text} (tolerance: 10%, at least one hour)",
                                human_lifetime(life)
                            ),
                            seen.clone(),
                            line,
                        )
                    }
                    _ => {}
                }
            }
        }

        // personal-data
        for pd in personal::scan_value(&o.raw_value) {
            push(
                Rule::PersonalData,
                Severity::High,
                Some(o.first_step),
                format!("{who} holds a {} at {}", pd.kind, pd.location),
                seen.clone(),
                None,
            );
        }

        // informational
        if o.party == Party::ThirdParty {
            push(
                Rule::ThirdParty,
                Severity::Info,
                Some(o.first_step),
                format!(
                    "{who} is third-party ({} on a page of {page_site})",
                    o.location
                ),
                seen.clone(),
                None,
            );
        }
        if let Some(c) = &o.cookie {
            if c.same_site.as_deref() == Some("None") && !c.secure {
                push(
                    Rule::SameSiteNoneInsecure,
                    Severity::Info,
                    Some(o.first_step),
                    format!("{who} has SameSite=None without Secure"),
                    seen.clone(),
                    None,
                );
            }
            if https && !c.secure {
                push(
                    Rule::MissingSecure,
                    Severity::Info,
                    Some(o.first_step),
                    format!("{who} lacks Secure on an https page"),
                    seen.clone(),
                    None,
                );
            }
        }
    }
    // Current browsers refuse SameSite=None without Secure: such cookies show up as attempts.
    for a in report
        .attempts
        .iter()
        .filter(|a| a.cookie.reasons.iter().any(|r| r == "SameSiteNoneInsecure"))
    {
        let site = a.cookie.domain.as_deref().map(site_of).unwrap_or_default();
        out.push(Finding {
            rule: Rule::SameSiteNoneInsecure,
            severity: Severity::Info,
            message: format!(
                "`{}` was sent with SameSite=None but without Secure, and the browser refused it",
                a.cookie.name
            ),
            key: Some(KeyRef {
                storage: StorageKind::Cookie,
                name: a.cookie.name.clone(),
                location: a.cookie.domain.clone().unwrap_or_default(),
            }),
            step: Some(a.step),
            evidence: vec![format!(
                "refused at step `{}`: {}",
                a.step,
                a.cookie.reasons.join(", ")
            )],
            policy_line: None,
            fingerprint: format!("samesite-none-insecure|cookie|{}|{site}", a.cookie.name),
            gating: false,
            in_baseline: false,
        });
    }
    out.extend(promise_findings(report, catalog));
    if let Some(p) = policy {
        out.extend(stale_declarations(report, p));
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule.cmp(&b.rule))
            .then(a.step.cmp(&b.step))
    });
    out
}

/// A declared lifetime plus the tolerance: 10%, and at least an hour (clocks and rounding).
fn tolerated(seconds: u64) -> i64 {
    let s = seconds as i64;
    s + (s / 10).max(3600)
}

/// The evidence lines of an observation: when it appeared and with which attributes.
fn evidence_of(o: &Observation) -> Vec<String> {
    let mut ev = vec![format!("first stored at step `{}`", o.first_step)];
    if let Some(c) = &o.cookie {
        let life = c
            .lifetime_seconds
            .map_or("session".to_string(), human_lifetime);
        let mut attrs = vec![
            format!("domain {}", c.domain),
            format!("path {}", c.path),
            life,
        ];
        if c.http_only {
            attrs.push("HttpOnly".into());
        }
        if c.secure {
            attrs.push("Secure".into());
        }
        if let Some(s) = &c.same_site {
            attrs.push(format!("SameSite={s}"));
        }
        if let Some(pk) = &c.partition_key {
            attrs.push(format!("partitioned under {pk}"));
        }
        ev.push(attrs.join(", "));
    } else {
        ev.push(format!("origin {}", o.location));
    }
    for c in &o.changes {
        ev.push(format!("at `{}`: {}", c.step, c.what.join(", ")));
    }
    ev.push(format!(
        "value: {} bytes, sha256 {}",
        o.value.length, o.value.sha256
    ));
    ev
}

/// The catalog vendors' published promises, checked against what their keys did.
fn promise_findings(report: &ScanReport, catalog: &Catalog) -> Vec<Finding> {
    let mut out = Vec::new();
    for seen in &report.vendors {
        let Some(vendor) = catalog.vendor(&seen.id) else {
            continue;
        };
        let keys: Vec<&Observation> = report
            .observations
            .iter()
            .filter(|o| o.attribution.vendor() == Some(vendor.id.as_str()))
            .collect();
        for p in &vendor.promises {
            let (severity, condition) = match &p.condition {
                Some(c) => (Severity::Low, format!(" (the promise holds {c})")),
                None => (Severity::Medium, String::new()),
            };
            let quote = format!(
                "{} promises: \"{}\" [{}]",
                vendor.name,
                p.quote,
                p.source.get_ref()
            );
            let mut broken = |o: &Observation, why: String, severity: Severity| {
                out.push(Finding {
                    rule: Rule::VendorPromise,
                    severity,
                    message: format!("{}: `{}` {why}{condition}", vendor.name, o.name),
                    key: Some(KeyRef {
                        storage: o.storage,
                        name: o.name.clone(),
                        location: o.location.clone(),
                    }),
                    step: Some(o.first_step),
                    evidence: std::iter::once(quote.clone())
                        .chain(evidence_of(o))
                        .collect(),
                    policy_line: None,
                    fingerprint: format!("vendor-promise|{}|{}|{}", p.id, o.storage, o.name),
                    gating: false,
                    in_baseline: false,
                });
            };
            match p.rule {
                PromiseRule::NoStorageBefore => {
                    let step = p.step.unwrap_or(Step::Consent);
                    for o in keys.iter().filter(|o| o.first_step < step) {
                        broken(
                            o,
                            format!("was stored at `{}`, before `{step}`", o.first_step),
                            severity,
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
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

/// Declarations nothing matched, when the scan ran the step they are declared for.
fn stale_declarations(report: &ScanReport, policy: &Policy) -> Vec<Finding> {
    let last_step = report
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
            !report
                .observations
                .iter()
                .any(|o| policy.declaration_for(o).is_some_and(|(j, _)| j == *i))
        })
        .filter(|(_, d)| last_step.is_some_and(|s| s >= d.earliest_step))
        .map(|(_, d)| Finding {
            rule: Rule::DeclaredNotSeen,
            severity: Severity::Low,
            message: format!(
                "`{}` is declared ({}:{}) but was never observed",
                d.pattern,
                policy.path.display(),
                d.line
            ),
            key: None,
            step: None,
            evidence: vec![
                format!("declared purpose: {}", d.purpose),
                format!("declared from step `{}`", d.earliest_step),
            ],
            policy_line: Some(d.line),
            fingerprint: format!(
                "declared-not-seen|{}|{}",
                d.pattern,
                d.storage.map(|s| s.as_str()).unwrap_or("any")
            ),
            gating: false,
            in_baseline: false,
        })
        .collect()
}

#[cfg(test)]
mod tests;
