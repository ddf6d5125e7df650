//! `samesite-none-insecure`: a cookie with SameSite=None and no Secure, stored or refused (informational).

use super::Check;
use crate::findings::{Finding, Judging, KeyRef, Subject};
use crate::vocab::{Rule, Severity, StorageKind, site_of};

pub(super) struct SameSiteNoneInsecure;

impl Check for SameSiteNoneInsecure {
    const DESCRIPTION: &'static str =
        "A cookie with SameSite=None lacks Secure (informational).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }

    fn scan(cx: &Judging) -> impl IntoIterator<Item = Finding> {
        refused(cx)
    }
}

fn check(_cx: &Judging, s: &Subject) -> Option<Finding> {
    let c = s.o.cookie.as_ref()?;
    (c.same_site.as_deref() == Some("None") && !c.secure).then(|| {
        s.finding(
            Rule::SameSiteNoneInsecure,
            Severity::Info,
            "informational: current browsers refuse such a cookie",
            format!("{} has SameSite=None without Secure", s.who),
        )
    })
}

/// Current browsers refuse SameSite=None without Secure: such cookies show up as attempts.
fn refused(cx: &Judging) -> Vec<Finding> {
    cx.facts
        .attempts
        .iter()
        .filter(|a| a.cookie.reasons.iter().any(|r| r == "SameSiteNoneInsecure"))
        .map(|a| {
            let site = a.cookie.domain.as_deref().map(site_of).unwrap_or_default();
            Finding::new(
                Rule::SameSiteNoneInsecure,
                Severity::Info,
                "informational: the browser refused it, so nothing was stored",
                format!(
                    "`{}` was sent with SameSite=None but without Secure, and the browser refused it",
                    a.cookie.name
                ),
            )
            .key(KeyRef {
                storage: StorageKind::Cookie,
                name: a.cookie.name.clone(),
                location: a.cookie.domain.clone().unwrap_or_default(),
            })
            .step(a.step)
            .evidence(vec![format!(
                "refused at step `{}`: {}",
                a.step,
                a.cookie.reasons.join(", ")
            )])
            .identity(&[StorageKind::Cookie.as_str(), &a.cookie.name, &site])
        })
        .collect()
}
