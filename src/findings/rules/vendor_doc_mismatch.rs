//! `vendor-doc-mismatch`: what the browser stored differs from the vendor's own declaration, in storage kind, lifetime or the origin that holds it; both sides quoted.

use super::Check;
use crate::catalog::DeclaredDuration;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity, StorageKind};

pub(super) struct VendorDocMismatch;

impl Check for VendorDocMismatch {
    const DESCRIPTION: &'static str =
        "What the browser stored differs from the vendor's own declaration (storage kind or lifetime).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let o = s.o;
    let facts = o.catalog.as_ref()?;
    // Only a chat vendor's own document: the cookie database records no storage.
    if facts.database.is_some() {
        return None;
    }
    let vendor_id = o.attribution.vendor()?;
    let vendor = cx.catalog.vendor(vendor_id)?;
    let observed_persistent = match &o.cookie {
        Some(c) => c.lifetime_seconds.is_some(),
        None => o.storage == StorageKind::LocalStorage,
    };
    let declared = &facts.declared_duration;
    let storage_differs = facts.declared_storage != o.storage;
    // A persistent cookie against a declared session cookie is the `duration` rule's; here only
    // what changes the kind of storage, or localStorage kept where a session is declared.
    let lifetime_differs =
        o.cookie.is_none() && observed_persistent && matches!(declared, DeclaredDuration::Session);
    // Web storage held by another origin than any the vendor documents for the key.
    let origin_differs = facts
        .held_in
        .filter(|_| facts.documented_origin.is_none())
        .map(|held| {
            let key = o.attribution.key().unwrap_or(&o.name);
            let documented: Vec<String> = vendor
                .keys
                .iter()
                .find(|k| k.name.get_ref() == key)
                .map(|k| k.origin.iter().map(|x| x.describe()).collect())
                .unwrap_or_default();
            (held, documented.join(", "))
        });
    if !storage_differs && !lifetime_differs {
        let (held, documented) = origin_differs?;
        return Some(origin_finding(s, vendor, held, &documented));
    }
    let declared_text = match declared {
        DeclaredDuration::Session => "session".to_string(),
        DeclaredDuration::Persistent => "persistent".to_string(),
        DeclaredDuration::Unspecified => "no stated lifetime".to_string(),
        DeclaredDuration::Period { text, .. } => text.clone(),
    };
    let observed_text = match &o.cookie {
        Some(c) if c.lifetime_seconds.is_some() => "a persistent cookie".to_string(),
        Some(_) => "a session cookie".to_string(),
        None if o.storage == StorageKind::LocalStorage => {
            "localStorage, kept until cleared".to_string()
        }
        None => "sessionStorage, kept for the tab".to_string(),
    };
    let document = vendor
        .sources
        .iter()
        .find(|src| src.id == facts.source)
        .map_or_else(
            || facts.source.clone(),
            |src| format!("{} ({})", src.title, src.document),
        );
    let key = o.attribution.key().unwrap_or(&o.name);
    Some(
        s.finding(
            Rule::VendorDocMismatch,
            Severity::Low,
            "low: the vendor's document, not the site, is wrong; the site's own declaration must say what really happens",
            format!(
                "{} is stored as {observed_text}, where {}'s declaration says {} ({declared_text})",
                s.who, vendor.name, facts.declared_storage
            ),
        )
        .evidence(
            [
                format!(
                    "{} declares `{key}`: storage {}, duration {declared_text} [{document}]",
                    vendor.name, facts.declared_storage
                ),
                format!("observed: {observed_text}"),
            ]
            .into_iter()
            .chain(origin_differs.map(|(held, documented)| {
                format!(
                    "also held in {} ({}), where {} documents: {documented}",
                    held.as_str(),
                    o.location,
                    vendor.name
                )
            }))
            .chain(s.evidence.iter().cloned())
            .collect(),
        ),
    )
}

/// A web-storage key held by another origin than the vendor documents for it.
fn origin_finding(
    s: &Subject,
    vendor: &crate::catalog::Vendor,
    held: crate::observation::HeldIn,
    documented: &str,
) -> Finding {
    let place = match held {
        crate::observation::HeldIn::Site => "the page's own origin",
        crate::observation::HeldIn::Vendor => "a frame of the vendor's own hosts",
        crate::observation::HeldIn::Other => {
            "an origin that is neither the page's nor the vendor's"
        }
    };
    s.finding(
        Rule::VendorDocMismatch,
        Severity::Low,
        "low: the vendor's document, not the site, is wrong; the site's own declaration must say what really happens",
        format!(
            "{} is held in {place} ({}), where {}'s documents place it in: {documented}",
            s.who, s.o.location, vendor.name
        ),
    )
    .evidence(
        [
            format!("{} documents the key's origin: {documented}", vendor.name),
            format!("observed: held in {} ({})", held.as_str(), s.o.location),
        ]
        .into_iter()
        .chain(s.evidence.iter().cloned())
        .collect(),
    )
}
