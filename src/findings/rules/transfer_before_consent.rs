//! `transfer-before-consent`: the page made the browser contact a chat vendor's host (or another
//! third party not strictly necessary) before the visitor consented or asked for the chat.
//!
//! Every request hands the visitor's IP address to the host's owner (LG München I, 3 O 17493/20,
//! Google Fonts). One finding per chat vendor (all its hosts) and per other third-party host,
//! never one per request.

use super::Check;
use crate::catalog::Category;
use crate::findings::{Finding, Judging};
use crate::network::{HostContact, StepContacts};
use crate::policy::HostDeclaration;
use crate::vocab::{Party, Rule, Severity, Step};
use std::collections::BTreeMap;

pub(super) struct TransferBeforeConsent;

impl Check for TransferBeforeConsent {
    const DESCRIPTION: &'static str =
        "The page made the browser contact a chat vendor's host (or another third party not strictly necessary) before the visitor consented or opened the chat.";

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        check(cx)
    }
}

/// The contacts of one host that no consent and no request of the visitor's covers.
struct Uncovered<'a> {
    host: &'a HostContact,
    steps: Vec<&'a StepContacts>,
    declaration: Option<&'a HostDeclaration>,
}

fn check(cx: &Judging) -> Vec<Finding> {
    let consent = &cx.consent;
    let covered = |s: &StepContacts| {
        let step = cx.phase(&s.page, s.step);
        (consent.accepted && step >= Step::Consent)
            // The visitor's own request for the chat: what it fetches serves what they asked for.
            || (consent.chat_opened && step >= Step::ChatOpen)
    };
    let mut by_vendor: BTreeMap<&str, Vec<Uncovered>> = BTreeMap::new();
    let mut others = Vec::new();
    for h in &cx.facts.network.hosts {
        if h.party != Party::ThirdParty {
            continue;
        }
        let steps: Vec<&StepContacts> = h.steps.iter().filter(|s| !covered(s)).collect();
        if steps.is_empty() {
            continue;
        }
        let declaration = cx.policy.and_then(|p| p.host_declaration_for(&h.host));
        let vendor = h
            .vendor
            .as_deref()
            .or_else(|| declaration.and_then(|d| d.vendor.as_deref()));
        let u = Uncovered {
            host: h,
            steps,
            declaration,
        };
        match vendor {
            Some(v) => by_vendor.entry(v).or_default().push(u),
            None if declaration.and_then(|d| d.category) == Some(Category::StrictlyNecessary) => {}
            None => others.push(u),
        }
    }
    let mut out = Vec::new();
    for (vendor, hosts) in by_vendor {
        let name = cx
            .catalog
            .vendor(vendor)
            .map_or(vendor, |v| v.name.as_str());
        out.push(finding(
            cx,
            &hosts,
            Severity::Medium,
            "medium: a chat vendor received the visitor's IP address before consent or a request for the chat (LG München I 3 O 17493/20; DSK OH Telemedien: a chat is necessary only once the visitor asks for it)",
            format!("{name}'s"),
            vendor_identity(vendor),
        ));
    }
    for u in others {
        let identity = format!("host:{}", u.host.host);
        out.push(finding(
            cx,
            std::slice::from_ref(&u),
            Severity::Low,
            "low: a third party not known to be strictly necessary received the visitor's IP address before consent (LG München I 3 O 17493/20); declare it in the policy's [[host]] if it is necessary; for review",
            "the third party's".to_string(),
            identity,
        ));
    }
    out
}

fn vendor_identity(vendor: &str) -> String {
    format!("vendor:{vendor}")
}

fn finding(
    cx: &Judging,
    hosts: &[Uncovered],
    severity: Severity,
    because: &str,
    whose: String,
    identity: String,
) -> Finding {
    let consent = &cx.consent;
    let earliest = hosts
        .iter()
        .flat_map(|u| u.steps.iter())
        .min_by_key(|s| cx.phase(&s.page, s.step));
    let first = earliest.map_or(Step::Load, |s| cx.phase(&s.page, s.step));
    let from = earliest.map_or_else(|| "`load`".into(), |s| cx.when(&s.page, s.step));
    let requests: u64 = hosts
        .iter()
        .flat_map(|u| u.steps.iter().map(|s| s.count))
        .sum();
    let names: Vec<String> = hosts.iter().map(|u| format!("`{}`", u.host.host)).collect();
    let when = if consent.rejected && first >= Step::Consent {
        "after consent was rejected".to_string()
    } else {
        format!("before consent ({})", consent.description)
    };
    let asked = if consent.chat_opened {
        "and before the visitor opened the chat"
    } else {
        "and the chat was never opened"
    };
    let hosts_text = match names.as_slice() {
        [one] => format!("host {one} was"),
        many => format!("hosts {} were", many.join(", ")),
    };
    let message = format!(
        "{whose} {hosts_text} contacted from {from}, {when} {asked}: {requests} request{}",
        if requests == 1 { "" } else { "s" },
    );
    let mut evidence = Vec::new();
    let mut line = None;
    for u in hosts {
        let h = u.host;
        let by = h
            .matched_by
            .as_deref()
            .map_or(String::new(), |m| format!(", attributed by {m}"));
        for s in &u.steps {
            evidence.push(format!(
                "`{}` ({}{by}) at `{}`: {} request{}",
                h.host,
                h.site,
                s.step,
                s.count,
                if s.count == 1 { "" } else { "s" }
            ));
            for r in &s.samples {
                let status = r
                    .status
                    .map_or_else(|| "no answer".to_string(), |c| format!("status {c}"));
                let frame = r
                    .frame
                    .as_deref()
                    .map_or(String::new(), |f| format!(" in frame {f}"));
                let by = r
                    .initiator_url
                    .as_deref()
                    .map_or(String::new(), |u| format!(" {u}"));
                evidence.push(format!(
                    "  {} {} {} ({status}){frame}, initiated by {}{by}",
                    r.method, r.resource_type, r.url, r.initiator
                ));
            }
        }
        if let Some(d) = u.declaration {
            line = line.or(Some(d.line));
            evidence.push(format!(
                "declared by the policy's [[host]] `{}` (line {}): {}{}",
                d.name,
                d.line,
                d.purpose,
                d.category
                    .map_or(String::new(), |c| format!(", category {c}"))
            ));
        }
    }
    Finding::new(Rule::TransferBeforeConsent, severity, because, message)
        .step(first)
        .evidence(evidence)
        .policy_line(line)
        .identity(&[&identity])
}
