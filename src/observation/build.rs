//! Building a scan's observations: every key's life from the snapshots, the vendors' evidence it adds, and each key judged against the catalog.

use super::life::{KeyId, Lives, Seen, State, json_object_keys, placement, walk};
use super::matching::{decision, place};
use super::{CatalogFacts, Observation, ValueEvidence};
use crate::catalog::{Attribution, Catalog, Evidence, EvidenceSteps};
use crate::snapshot::Snapshot;
use crate::vocab::{Step, StorageKind, host_of, site_of};

/// The observations of a scan, and what evidenced its vendors: every vendor and reason, and the
/// step at which each reason first showed.
pub struct Built {
    pub observations: Vec<Observation>,
    pub evidence: Evidence,
    pub evidence_at: EvidenceSteps,
}

/// Builds the observations of a scan: one per key, in order of first appearance. `detected` is
/// what the scan saw of the vendors (globals, scripts, keys), `detected_at` when each of it
/// first showed; each attribution to a chat vendor says which evidence decided it, and when.
pub fn build(
    catalog: &Catalog,
    snapshots: &[Snapshot],
    (detected, detected_at): (&Evidence, &EvidenceSteps),
    page_url: &str,
    show_values: bool,
) -> Built {
    let page_site = host_of(page_url).map(|h| site_of(&h)).unwrap_or_default();
    let lives = Lives::of(snapshots);
    let order = &lives.order;
    let mut evidence = detected.clone();
    let mut evidence_at = detected_at.clone();
    // A distinctive key evidences its vendor from the step it first showed at.
    for id in order {
        let names = catalog.evidence_from_names([id.1.as_str()]);
        evidence_at.record(&names, snapshots[lives.first_at(id)].step);
        evidence.merge(names);
    }
    // A vendor's own generic keys beside its platform's: its footprint, from the first step at
    // which it was complete (two own keys and the platform's evidence, all shown by then).
    for step in Step::ALL {
        let names = order
            .iter()
            .filter(|id| snapshots[lives.first_at(id)].step <= step)
            .map(|id| id.1.as_str());
        let mut upto = Evidence::default();
        for (vendor, reasons) in &evidence.0 {
            for r in reasons {
                if evidence_at.step_of(vendor, r).is_some_and(|at| at <= step) {
                    upto.add(vendor, r.clone());
                }
            }
        }
        let mut found = catalog.evidence_from_footprint(names, &upto);
        found.0.retain(|vendor, reasons| {
            !evidence
                .0
                .get(vendor)
                .is_some_and(|have| have.iter().any(|r| r.starts_with("footprint ")))
                && !reasons.is_empty()
        });
        if !found.is_empty() {
            evidence_at.record(&found, step);
            evidence.merge(found);
        }
    }
    catalog.settle(&mut evidence);
    // Judged on the reasons that came first: what a likely attribution names as its evidence is
    // what evidenced the vendor earliest.
    let judging = evidence.earliest(&evidence_at);
    // Open Cookie Database platforms: by their distinctive keys, and by the hosts the page
    // touched (itself, cookie domains, storage origins, frames).
    let hosts = std::iter::once(page_url).chain(snapshots.iter().flat_map(|s| {
        s.cookies
            .iter()
            .map(|c| c.domain.as_str())
            .chain(s.storage.iter().map(|i| i.origin.as_str()))
            .chain(s.frames.iter().map(|f| f.url.as_str()))
    }));
    let platforms = catalog.platform_evidence(order.iter().map(|(_, n, _)| n.as_str()), hosts);
    let cx = Context {
        catalog,
        evidence: &judging,
        evidence_at: &evidence_at,
        platforms: &platforms,
        page_site: &page_site,
        snapshots,
        show_values,
    };
    let observations = order
        .iter()
        .map(|id| observe(&cx, &lives.seen[id], id))
        .collect();
    Built {
        observations,
        evidence,
        evidence_at,
    }
}

/// What every observation of one scan is judged with.
struct Context<'a> {
    catalog: &'a Catalog,
    /// The vendors evidenced, each with the reasons that came first.
    evidence: &'a Evidence,
    evidence_at: &'a EvidenceSteps,
    platforms: &'a Evidence,
    page_site: &'a str,
    snapshots: &'a [Snapshot],
    show_values: bool,
}

/// One key's observation: its life, where it lives, and what the catalog says of it.
fn observe(cx: &Context<'_>, seen: &[Seen<'_>], id: &KeyId) -> Observation {
    let (storage, name) = (id.0, id.1.as_str());
    let (catalog, page_site, snapshots, show_values) =
        (cx.catalog, cx.page_site, cx.snapshots, cx.show_values);
    let first_at = seen[0].0;
    let first_step = snapshots[first_at].step;
    let (_, last_taken, last) = seen.last().expect("an observation is seen at least once");
    let (changes, removed) = walk(snapshots, seen, id);
    let judged = catalog.judge(name, cx.evidence, cx.platforms);
    let mut facts = CatalogFacts::of(catalog, &judged, storage);
    if let (Some(f), Some(m), State::Item(item)) = (&mut facts, &judged.vendor_key, last) {
        place(f, catalog, m, &item.origin, page_site);
    }
    let mut attribution = judged.attribution;
    if let (Attribution::Known { decided_by, .. }, Some(m)) = (&mut attribution, &judged.vendor_key)
    {
        *decided_by = decision((cx.evidence, cx.evidence_at), m, name, first_step);
    }
    let raw_value = last.value().to_string();
    let json_fields = json_object_keys(&raw_value);
    let placed = placement(last, *last_taken, page_site);
    Observation {
        storage,
        name: name.to_string(),
        location: placed.location,
        party: placed.party,
        storage_key: placed.storage_key,
        frame_url: placed.frame_url,
        first_step,
        first_page: snapshots[first_at].page.clone(),
        removed_at: removed.as_ref().map(|(step, _)| *step),
        removed_page: removed.map(|(_, page)| page).filter(|p| !p.is_empty()),
        out_of_sight: storage != StorageKind::Cookie
            && snapshots.last().is_some_and(|s| !s.saw_partition(&id.2)),
        changes,
        cookie: placed.cookie,
        value: ValueEvidence::of(&raw_value, show_values),
        json_fields,
        attribution,
        catalog: facts,
        raw_value,
    }
}
