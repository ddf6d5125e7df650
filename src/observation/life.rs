//! A key's life across the snapshots: where it lives, its state in each snapshot, and the changes, removals and reappearances between them.

use super::{Altered, Change, CookieAttributes};
use crate::snapshot::{CookieRecord, Snapshot, StorageRecord};
use crate::vocab::{Party, Step, StorageKind, host_of, site_of};
use std::collections::BTreeMap;

/// One key's state in one snapshot.
#[derive(Clone, PartialEq)]
pub(super) enum State<'a> {
    Cookie(&'a CookieRecord),
    Item(&'a StorageRecord),
}

impl State<'_> {
    pub(super) fn value(&self) -> &str {
        match self {
            State::Cookie(c) => &c.value,
            State::Item(s) => &s.value,
        }
    }

    /// Names of the attributes that differ (value excluded).
    fn attribute_changes(&self, other: &State<'_>) -> Vec<Altered> {
        let (State::Cookie(a), State::Cookie(b)) = (self, other) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if a.expires.is_some() != b.expires.is_some()
            || matches!((a.expires, b.expires), (Some(x), Some(y)) if (x - y).abs() > 5.0)
        {
            out.push(Altered::Expires);
        }
        if a.http_only != b.http_only {
            out.push(Altered::HttpOnly);
        }
        if a.secure != b.secure {
            out.push(Altered::Secure);
        }
        if a.same_site != b.same_site {
            out.push(Altered::SameSite);
        }
        out
    }
}

/// The top-level keys of a JSON object value, names only, at most 64.
pub(super) fn json_object_keys(value: &str) -> Vec<String> {
    let v = value.trim_start();
    if !v.starts_with('{') {
        return Vec::new();
    }
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(value) {
        Ok(m) => m.keys().take(64).cloned().collect(),
        Err(_) => Vec::new(),
    }
}

/// Identity of a key: storage kind, name and where it lives.
pub(super) type KeyId = (StorageKind, String, String);

/// A key as seen in one snapshot: the snapshot's index, its time, the key's state.
pub(super) type Seen<'a> = (usize, f64, State<'a>);

/// Every key of a scan, in order of first appearance, with what each snapshot saw of it.
pub(super) struct Lives<'a> {
    pub order: Vec<KeyId>,
    pub seen: BTreeMap<KeyId, Vec<Seen<'a>>>,
}

impl<'a> Lives<'a> {
    /// The keys of `snapshots`: a cookie by name, domain, path and partition; a storage item
    /// by kind, name and storage partition.
    pub fn of(snapshots: &'a [Snapshot]) -> Lives<'a> {
        let mut lives = Lives {
            order: Vec::new(),
            seen: BTreeMap::new(),
        };
        for (n, snap) in snapshots.iter().enumerate() {
            for c in &snap.cookies {
                let id = (
                    StorageKind::Cookie,
                    c.name.clone(),
                    format!(
                        "{}{}|{}",
                        c.domain,
                        c.path,
                        c.partition_key.as_deref().unwrap_or("")
                    ),
                );
                lives.push(id, (n, snap.taken_at, State::Cookie(c)));
            }
            for s in &snap.storage {
                let id = (s.kind, s.name.clone(), s.storage_key.clone());
                lives.push(id, (n, snap.taken_at, State::Item(s)));
            }
        }
        lives
    }

    fn push(&mut self, id: KeyId, seen: Seen<'a>) {
        let entry = self.seen.entry(id.clone()).or_default();
        if entry.is_empty() {
            self.order.push(id);
        }
        entry.push(seen);
    }

    /// The index of the snapshot `id` was first seen in.
    pub fn first_at(&self, id: &KeyId) -> usize {
        self.seen[id][0].0
    }
}

/// Walks the snapshots after a key's first, in order, noting its changes, removals and
/// reappearances; returns the changes and, when it was gone at the end, the step and page of
/// its removal. A storage item whose partition a snapshot did not read (its frame not on that
/// page) was out of sight there, not gone.
pub(super) fn walk(
    snapshots: &[Snapshot],
    seen: &[Seen<'_>],
    id: &KeyId,
) -> (Vec<Change>, Option<(Step, String)>) {
    let storage = id.0;
    let (first_at, _, first) = &seen[0];
    let mut changes = Vec::new();
    let mut prev: Option<&State<'_>> = Some(first);
    let mut removed = None;
    for (n, snap) in snapshots.iter().enumerate().skip(first_at + 1) {
        if storage != StorageKind::Cookie && !snap.saw_partition(&id.2) {
            continue;
        }
        let page = snap.page.clone();
        // The return visit is a new tab: the closed tab's sessionStorage is gone, so what shows
        // there was written anew.
        if snap.step == Step::Revisit && storage == StorageKind::SessionStorage {
            prev = None;
            if removed.is_none() && !seen.iter().any(|(at, _, _)| *at == n) {
                changes.push(Change {
                    step: snap.step,
                    page: page.clone(),
                    what: vec![Altered::Removed],
                });
                removed = Some((snap.step, page));
                continue;
            }
        }
        match seen.iter().find(|(at, _, _)| *at == n) {
            Some((_, _, now)) => {
                let mut what = Vec::new();
                match prev {
                    None => what.push(Altered::Reappeared),
                    Some(p) => {
                        if p.value() != now.value() {
                            what.push(Altered::Value);
                        }
                        what.extend(p.attribute_changes(now));
                    }
                }
                if !what.is_empty() {
                    changes.push(Change {
                        step: snap.step,
                        page,
                        what,
                    });
                }
                removed = None;
                prev = Some(now);
            }
            None if prev.is_some() => {
                changes.push(Change {
                    step: snap.step,
                    page: page.clone(),
                    what: vec![Altered::Removed],
                });
                removed = Some((snap.step, page));
                prev = None;
            }
            None => {}
        }
    }
    (changes, removed)
}

/// Where a key lives as last seen, and whose.
pub(super) struct Placement {
    /// Cookie: domain and path. Storage: its origin.
    pub location: String,
    pub party: Party,
    pub storage_key: Option<String>,
    pub frame_url: Option<String>,
    pub cookie: Option<CookieAttributes>,
}

/// The placement of a key's `last` state, taken at `last_taken`, on a page of `page_site`.
pub(super) fn placement(last: &State<'_>, last_taken: f64, page_site: &str) -> Placement {
    match last {
        State::Cookie(c) => {
            let party = if site_of(&c.domain) == page_site {
                Party::FirstParty
            } else {
                Party::ThirdParty
            };
            let attrs = CookieAttributes {
                domain: c.domain.clone(),
                path: c.path.clone(),
                expires: c.expires,
                lifetime_seconds: c.expires.map(|e| (e - last_taken).round() as i64),
                size: c.size,
                http_only: c.http_only,
                secure: c.secure,
                same_site: c.same_site.clone(),
                partition_key: c.partition_key.clone(),
            };
            Placement {
                location: format!("{}{}", c.domain, c.path),
                party,
                storage_key: None,
                frame_url: None,
                cookie: Some(attrs),
            }
        }
        State::Item(s) => {
            let site = host_of(&s.origin).map(|h| site_of(&h)).unwrap_or_default();
            let party = if site == page_site {
                Party::FirstParty
            } else {
                Party::ThirdParty
            };
            Placement {
                location: s.origin.clone(),
                party,
                storage_key: Some(s.storage_key.clone()),
                frame_url: Some(s.frame_url.clone()),
                cookie: None,
            }
        }
    }
}
