//! `duration`: a cookie that lives longer than declared (by the policy, else the catalog), or is persistent where a session cookie is declared.

use super::Check;
use crate::catalog::DeclaredDuration;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity, human_lifetime};

pub(super) struct Duration;

impl Check for Duration {
    const DESCRIPTION: &'static str =
        "A cookie lives longer than declared, or is persistent where a session cookie is declared.";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let o = s.o;
    let c = o.cookie.as_ref()?;
    let declared = s.declaration.and_then(|(_, d)| {
        d.max_lifetime.clone().map(|m| {
            let file = cx
                .policy
                .map(|p| p.path.display().to_string())
                .unwrap_or_default();
            (m, format!("{file}:{}", d.line), Some(d.line))
        })
    });
    let declared = declared.or_else(|| {
        o.catalog.as_ref().map(|f| {
            let by = match &f.database {
                Some(db) => format!("the {db} ({})", f.vendor_name),
                None => format!("the {} catalog", f.vendor_name),
            };
            (f.declared_duration.clone(), by, None)
        })
    });
    let (limit, by, line) = declared?;
    // The site's own declaration weighs more than a catalog's.
    let (severity, because) = if line.is_some() {
        (
            Severity::Medium,
            "medium: it outlives what the site's own policy declares",
        )
    } else {
        (
            Severity::Low,
            "low: it outlives what the vendor's or the database's document says, not the site's own declaration",
        )
    };
    let message = match (limit, c.lifetime_seconds) {
        (DeclaredDuration::Session, Some(life)) => format!(
            "{} is persistent ({}) where {by} declares a session cookie",
            s.who,
            human_lifetime(life)
        ),
        (DeclaredDuration::Period { seconds, text }, Some(life)) if life > tolerated(seconds) => {
            format!(
                "{} lives {} where {by} declares {text} (tolerance: 10%, at least one hour)",
                s.who,
                human_lifetime(life)
            )
        }
        _ => return None,
    };
    Some(
        s.finding(Rule::Duration, severity, because, message)
            .policy_line(line),
    )
}

/// A declared lifetime plus the tolerance: 10%, and at least an hour (clocks and rounding).
fn tolerated(seconds: u64) -> i64 {
    let s = seconds as i64;
    s + (s / 10).max(3600)
}
