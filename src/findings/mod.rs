//! Judgement: the findings drawn from a scan's observed facts, one rule per file, each finding with its severity and evidence.
//!
//! Rules read [`Facts`] (what the scan observed, not how it is reported) and never the report,
//! so a rule's test builds only the observations it needs. Every finding is made by
//! [`Finding::new`], which also writes its fingerprint.

mod finding;
pub mod personal;
mod rules;

pub use finding::{Finding, KeyRef};

use crate::catalog::{Attribution, Catalog, Category, Certainty};
use crate::observation::{Attempt, Observation, VendorSeen};
use crate::policy::{Declaration, Policy};
use crate::scan::{StepRecord, StepStatus};
use crate::vocab::{ConsentAction, Rule, Severity, Step, host_of, human_lifetime, site_of};

/// What the rules judge: the facts one scan observed.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The page's address after redirects (its site is the first party).
    pub final_url: &'a str,
    /// The answer the scan was asked to give the cookie banner.
    pub consent: ConsentAction,
    pub steps: &'a [StepRecord],
    pub observations: &'a [Observation],
    /// Cookies the browser refused to store.
    pub attempts: &'a [Attempt],
    pub vendors: &'a [VendorSeen],
    /// The hosts the page contacted, with the steps at which it did.
    pub network: &'a crate::network::Network,
}

/// Judges one scan: every rule over every observation, the vendors' promises, and the policy.
/// Findings come sorted: most severe first, then by rule and step.
pub fn evaluate(facts: &Facts, catalog: &Catalog, policy: Option<&Policy>) -> Vec<Finding> {
    let cx = Judging::new(facts, catalog, policy);
    let mut out = Vec::new();
    for o in facts.observations {
        let s = Subject::of(&cx, o);
        rules::per_key(&cx, &s, &mut out);
    }
    // Rules are called in the list's order; the report's order is the sort below, and each
    // rule's findings keep the order it made them in (its per-key ones first).
    rules::whole_scan(&cx, &mut out);
    if let Some(p) = policy {
        weigh(&mut out, p);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule.cmp(&b.rule))
            .then(a.step.cmp(&b.step))
    });
    out
}

/// Gives findings the severity the site's policy sets for their rule, saying so in the reason:
/// the site's weighing is recorded, never silently merged into chatcookie's.
fn weigh(findings: &mut [Finding], policy: &Policy) {
    for f in findings {
        let Some(o) = policy.severities.get(&f.rule) else {
            continue;
        };
        if o.severity == f.severity {
            continue;
        }
        f.severity_reason = format!(
            "{} by the site's policy ({} line {}, [severity]); chatcookie's own rating: {}",
            o.severity,
            policy.path.display(),
            o.line,
            f.severity_reason
        );
        f.severity = o.severity;
    }
}

/// What every rule may consult: the facts, the catalog, the policy, and how consent went.
pub(crate) struct Judging<'a> {
    pub facts: &'a Facts<'a>,
    pub catalog: &'a Catalog,
    pub policy: Option<&'a Policy>,
    pub consent: ConsentState,
    /// The page's registrable domain.
    pub page_site: String,
    pub https: bool,
}

impl<'a> Judging<'a> {
    /// See [`crate::scan::phase`].
    pub fn phase(&self, page: &str, step: Step) -> Step {
        crate::scan::phase(self.facts.steps, page, step)
    }

    /// A moment as messages say it: "`load`", or on a journey of several pages "`load` of PAGE".
    pub fn when(&self, page: &str, step: Step) -> String {
        let journey = self
            .facts
            .steps
            .iter()
            .any(|s| !s.page.is_empty() && s.page != self.facts.steps[0].page);
        if journey && !page.is_empty() {
            format!("`{step}` of {page}")
        } else {
            format!("`{step}`")
        }
    }

    fn new(facts: &'a Facts<'a>, catalog: &'a Catalog, policy: Option<&'a Policy>) -> Self {
        Judging {
            facts,
            catalog,
            policy,
            consent: ConsentState::of(facts),
            page_site: host_of(facts.final_url)
                .map(|h| site_of(&h))
                .unwrap_or_default(),
            https: facts.final_url.starts_with("https://"),
        }
    }
}

/// How the consent step went, as the rules need it.
pub(crate) struct ConsentState {
    pub accepted: bool,
    pub rejected: bool,
    /// The visitor asked for the chat: the chat_open step ran.
    pub chat_opened: bool,
    /// Automatic consent found no consent manager and saw no cookie banner: the page asks nobody.
    pub no_banner: bool,
    pub description: &'static str,
}

impl ConsentState {
    fn of(facts: &Facts) -> ConsentState {
        let ran = |step: Step| {
            facts
                .steps
                .iter()
                .any(|s| s.step == step && s.status != StepStatus::Skipped)
        };
        // Consent is given only by an answer that took: a failed one (the banner stayed, or the
        // CMP recorded another choice) is no consent.
        let consent_ran = facts.steps.iter().any(|s| {
            s.step == Step::Consent && matches!(s.status, StepStatus::Done | StepStatus::TimedOut)
        });
        let accepted = consent_ran && facts.consent == ConsentAction::Accept;
        let rejected = consent_ran && facts.consent == ConsentAction::Reject;
        // Nothing detected and nothing seen by sight (reports of older versions: nothing
        // detected and nothing answered).
        // On a journey the banner may show on a later page only: none seen on any.
        let mut records = facts
            .steps
            .iter()
            .filter(|s| s.step == Step::Consent)
            .filter_map(|s| s.consent.as_ref())
            .peekable();
        let no_banner = records.peek().is_some()
            && records.all(|r| match r.result {
                Some(result) => result == crate::consent::ConsentResult::NoBanner,
                None => r.detected.is_empty() && !r.done,
            });
        ConsentState {
            accepted,
            rejected,
            chat_opened: ran(Step::ChatOpen),
            no_banner,
            description: if accepted {
                "consent was accepted at the consent step"
            } else if rejected {
                "consent was rejected at the consent step"
            } else {
                "consent was never given in this scan"
            },
        }
    }
}

/// One observed key as the per-key rules see it: its declaration, category and evidence.
pub(crate) struct Subject<'a> {
    pub o: &'a Observation,
    /// The policy's declaration covering it, with its index.
    pub declaration: Option<(usize, &'a Declaration)>,
    /// The declared category, else the catalog's.
    pub category: Option<Category>,
    /// How messages name it: "`name` (vendor, storage)".
    pub who: String,
    /// When it appeared and with which attributes.
    pub evidence: Vec<String>,
    /// The registrable domain it belongs to (part of its findings' fingerprints).
    pub site: String,
    /// Where its first appearance stands against the visitor's choices (see [`crate::scan::phase`]).
    pub phase: Step,
    /// When it was first stored, as messages say it: "`load`", or on a journey "`load` of PAGE".
    pub when: String,
}

impl<'a> Subject<'a> {
    fn of(cx: &Judging<'a>, o: &'a Observation) -> Subject<'a> {
        let declaration = cx.policy.and_then(|p| p.declaration_for(o));
        let category = declaration
            .and_then(|(_, d)| d.category)
            .or(o.catalog.as_ref().map(|c| c.category));
        let site = o.cookie.as_ref().map_or_else(
            || {
                host_of(&o.location)
                    .map(|h| site_of(&h))
                    .unwrap_or_default()
            },
            |c| site_of(&c.domain),
        );
        // A guess is labelled as one: a generic name attributed on its owner's other evidence.
        let likely = o.attribution.confidence() == Some(Certainty::Likely);
        let who = match &o.catalog {
            Some(c) if likely => format!("`{}` ({}, likely, {})", o.name, c.vendor_name, o.storage),
            Some(c) => format!("`{}` ({}, {})", o.name, c.vendor_name, o.storage),
            None => format!("`{}` ({})", o.name, o.storage),
        };
        let mut evidence = evidence_of(o);
        if likely {
            let by = match &o.attribution {
                Attribution::Known { evidence, .. } | Attribution::Platform { evidence, .. } => {
                    evidence.clone()
                }
                Attribution::ConsentManager { .. } | Attribution::Unknown { .. } => None,
            };
            evidence.push(format!(
                "attribution likely, not certain: a generic name, attributed because its owner is evidenced ({})",
                by.as_deref().unwrap_or("on the page")
            ));
        }
        Subject {
            o,
            declaration,
            category,
            who,
            evidence,
            site,
            phase: cx.phase(&o.first_page, o.first_step),
            when: cx.when(&o.first_page, o.first_step),
        }
    }

    /// A finding about this key, first stored at its first step.
    pub fn finding(
        &self,
        rule: Rule,
        severity: Severity,
        because: impl Into<String>,
        message: String,
    ) -> Finding {
        Finding::new(rule, severity, because, message)
            .key(KeyRef::of(self.o))
            .step(self.o.first_step)
            .page(&self.o.first_page)
            .evidence(self.evidence.clone())
            .identity(&[self.o.storage.as_str(), &self.o.name, &self.site])
    }
}

/// The evidence lines of an observation: when it appeared and with which attributes.
pub(crate) fn evidence_of(o: &Observation) -> Vec<String> {
    let mut ev = vec![format!("first stored at step `{}`", o.first_step)];
    if let (Some(d), Some(c)) = (o.attribution.decided_by(), &o.catalog) {
        ev.push(if d.evidence == format!("key {}", o.name) {
            format!(
                "attributed to {} by its own distinctive name",
                c.vendor_name
            )
        } else {
            let when = d
                .step
                .map_or_else(String::new, |s| format!(" (first seen at `{s}`)"));
            format!("attributed to {} by {}{when}", c.vendor_name, d.evidence)
        });
    }
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
        ev.push(format!("at `{}`: {}", c.step, c.described(", ")));
    }
    ev.push(format!(
        "value: {} bytes, sha256 {}",
        o.value.length, o.value.sha256
    ));
    ev
}

#[cfg(test)]
mod tests;
