//! One comparison of scans, shared by `history`, `diff`, `--baseline` and `--passes`: keys by one identity (storage, name, place), findings by fingerprint.

use crate::findings::Finding;
use crate::observation::Observation;
use crate::report::ScanReport;
use crate::vocab::{Party, StorageKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where a key lives, as its identity uses it: a cookie's Domain as the browser holds it (a
/// leading dot marks a domain cookie), a storage item's origin as `scheme://host` without port.
pub fn place_of(o: &Observation) -> String {
    match &o.cookie {
        Some(c) => c.domain.to_ascii_lowercase(),
        None => match url::Url::parse(&o.location) {
            Ok(u) if u.host_str().is_some() => format!(
                "{}://{}",
                u.scheme(),
                u.host_str().unwrap_or_default().to_ascii_lowercase()
            ),
            _ => o.location.clone(),
        },
    }
}

/// How long a key lives, in coarse classes a change of which is worth reporting: a cookie is
/// `session`, `up-to-a-day`, `up-to-a-month`, `up-to-a-year` or `over-a-year` (with a little
/// slack for the seconds between setting and snapshot); localStorage is `persistent`,
/// sessionStorage `session`.
pub fn expiry_class(o: &Observation) -> &'static str {
    const DAY: i64 = 86_400;
    match (&o.cookie, o.storage) {
        (Some(c), _) => match c.lifetime_seconds {
            None => "session",
            Some(s) if s <= DAY + 3_600 => "up-to-a-day",
            Some(s) if s <= 31 * DAY => "up-to-a-month",
            Some(s) if s <= 366 * DAY => "up-to-a-year",
            Some(_) => "over-a-year",
        },
        (None, StorageKind::SessionStorage) => "session",
        (None, _) => "persistent",
    }
}

/// What one scan stored and found, as compared from scan to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanContents {
    pub keys: Vec<KeyState>,
    pub findings: Vec<FindingBrief>,
}

impl ScanContents {
    /// What `reports` stored and found, as one scan (a many-site report file counts as one).
    pub fn of(reports: &[ScanReport]) -> ScanContents {
        ScanContents {
            keys: reports
                .iter()
                .flat_map(|r| r.observations.iter().map(KeyState::of))
                .collect(),
            findings: reports
                .iter()
                .flat_map(|r| r.findings.iter().map(FindingBrief::of))
                .collect(),
        }
    }

    /// The findings' fingerprints: what a baseline forgives.
    pub fn fingerprints(&self) -> BTreeSet<String> {
        self.findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect()
    }
}

/// Which attributes of a key count as a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// Attribution, first step, expiry class and cookie flags: what a scan-to-scan history
    /// tracks (values of ids change on every visit).
    Attributes,
    /// The attributes and the value's hash: two given reports compared by hand (`diff`).
    Values,
}

/// A key as one scan saw it. Identity: (`storage`, `name`, `place`); the other fields are the
/// attributes whose change is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyState {
    pub storage: String,
    pub name: String,
    /// See [`place_of`].
    pub place: String,
    pub vendor: Option<String>,
    /// The catalog key the name was attributed to.
    pub catalog_key: Option<String>,
    pub category: Option<String>,
    pub party: String,
    pub first_step: String,
    /// See [`expiry_class`].
    pub expiry_class: String,
    /// Cookies only (null for storage), as are the next three.
    pub http_only: Option<bool>,
    pub secure: Option<bool>,
    pub same_site: Option<String>,
    pub partitioned: Option<bool>,
    /// The value's short hash; compared only with [`Compared::Values`], since ids change per visit.
    #[serde(skip)]
    pub value_sha256: String,
}

impl KeyState {
    /// The key as a report observed it.
    pub fn of(o: &Observation) -> KeyState {
        let c = o.cookie.as_ref();
        KeyState {
            storage: o.storage.as_str().to_string(),
            name: o.name.clone(),
            place: place_of(o),
            vendor: o.attribution.vendor().map(str::to_string),
            catalog_key: o.attribution.key().map(str::to_string),
            category: o.catalog.as_ref().map(|f| f.category.as_str().to_string()),
            party: Party::as_str(o.party).to_string(),
            first_step: o.first_step.as_str().to_string(),
            expiry_class: expiry_class(o).to_string(),
            http_only: c.map(|c| c.http_only),
            secure: c.map(|c| c.secure),
            same_site: c.and_then(|c| c.same_site.clone()),
            partitioned: c.map(|c| c.partition_key.is_some()),
            value_sha256: o.value.sha256.clone(),
        }
    }

    /// What makes two keys the same key, in every comparison.
    pub fn identity(&self) -> (&str, &str, &str) {
        (&self.storage, &self.name, &self.place)
    }

    /// The compared attributes, by name, as text (`None` when absent).
    fn attributes(&self, compared: Compared) -> Vec<(&'static str, Option<String>)> {
        let flag = |b: Option<bool>| b.map(|b| b.to_string());
        let mut out = vec![
            ("vendor", self.vendor.clone()),
            ("catalog_key", self.catalog_key.clone()),
            ("category", self.category.clone()),
            ("party", Some(self.party.clone())),
            ("first_step", Some(self.first_step.clone())),
            ("expiry_class", Some(self.expiry_class.clone())),
            ("http_only", flag(self.http_only)),
            ("secure", flag(self.secure)),
            ("same_site", self.same_site.clone()),
            ("partitioned", flag(self.partitioned)),
        ];
        if compared == Compared::Values {
            out.push(("value", Some(format!("#{}", self.value_sha256))));
        }
        out
    }
}

/// A finding in brief; identity: the fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingBrief {
    pub fingerprint: String,
    pub rule: String,
    pub severity: String,
    pub message: String,
    /// The name of the key it concerns, if any.
    pub key_name: Option<String>,
    pub gating: bool,
}

impl FindingBrief {
    /// The finding in brief.
    pub fn of(f: &Finding) -> FindingBrief {
        FindingBrief {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.to_string(),
            severity: f.severity.as_str().to_string(),
            message: f.message.clone(),
            key_name: f.key.as_ref().map(|k| k.name.clone()),
            gating: f.gating,
        }
    }
}

/// What changed from one scan to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub new_keys: Vec<KeyState>,
    pub gone_keys: Vec<KeyState>,
    pub changed_keys: Vec<KeyChange>,
    pub new_findings: Vec<FindingBrief>,
    pub resolved_findings: Vec<FindingBrief>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self == &Changes::default()
    }
}

/// A key present in both scans whose attributes differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// The key as the later scan saw it.
    pub key: KeyState,
    pub changes: Vec<AttributeChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub attribute: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from `before` to `after`: keys by identity, findings by fingerprint. A key or
/// finding that occurs twice in one scan under the same identity counts once (its first
/// occurrence). Output follows each scan's own order.
pub fn compare(before: &ScanContents, after: &ScanContents, compared: Compared) -> Changes {
    let index = |keys: &[KeyState]| {
        let mut m: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            let (s, n, p) = k.identity();
            m.entry((s.into(), n.into(), p.into())).or_insert(i);
        }
        m
    };
    let (old, new) = (index(&before.keys), index(&after.keys));
    let id = |k: &KeyState| {
        let (s, n, p) = k.identity();
        (s.to_string(), n.to_string(), p.to_string())
    };
    let mut changes = Changes::default();
    for (i, k) in after.keys.iter().enumerate() {
        if new[&id(k)] != i {
            continue;
        }
        match old.get(&id(k)) {
            None => changes.new_keys.push(k.clone()),
            Some(&j) => {
                let was = &before.keys[j];
                let diffs: Vec<AttributeChange> = was
                    .attributes(compared)
                    .into_iter()
                    .zip(k.attributes(compared))
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((name, a), (_, b))| AttributeChange {
                        attribute: name.to_string(),
                        before: a,
                        after: b,
                    })
                    .collect();
                if !diffs.is_empty() {
                    changes.changed_keys.push(KeyChange {
                        key: k.clone(),
                        changes: diffs,
                    });
                }
            }
        }
    }
    for (i, k) in before.keys.iter().enumerate() {
        if old[&id(k)] == i && !new.contains_key(&id(k)) {
            changes.gone_keys.push(k.clone());
        }
    }
    let fingerprints = |f: &[FindingBrief]| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (i, x) in f.iter().enumerate() {
            m.entry(x.fingerprint.clone()).or_insert(i);
        }
        m
    };
    let (fo, fnew) = (
        fingerprints(&before.findings),
        fingerprints(&after.findings),
    );
    changes.new_findings = after
        .findings
        .iter()
        .enumerate()
        .filter(|(i, f)| fnew[&f.fingerprint] == *i && !fo.contains_key(&f.fingerprint))
        .map(|(_, f)| f.clone())
        .collect();
    changes.resolved_findings = before
        .findings
        .iter()
        .enumerate()
        .filter(|(i, f)| fo[&f.fingerprint] == *i && !fnew.contains_key(&f.fingerprint))
        .map(|(_, f)| f.clone())
        .collect();
    changes
}

/// Keys stored in every one of several passes over one site, and those only one pass stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passes {
    /// In the first pass's order.
    pub common: Vec<KeyState>,
    /// Per pass, in its order: the keys not in every pass.
    pub only: Vec<Vec<KeyState>>,
}

impl Passes {
    /// Compares the passes' reports (one per pass) by key identity.
    pub fn of(reports: &[ScanReport]) -> Passes {
        let keys: Vec<Vec<KeyState>> = reports
            .iter()
            .map(|r| ScanContents::of(std::slice::from_ref(r)).keys)
            .collect();
        let ids: Vec<BTreeSet<(&str, &str, &str)>> = keys
            .iter()
            .map(|k| k.iter().map(KeyState::identity).collect())
            .collect();
        let in_every = |k: &KeyState| ids.iter().all(|s| s.contains(&k.identity()));
        Passes {
            common: keys
                .first()
                .map(|k| k.iter().filter(|k| in_every(k)).cloned().collect())
                .unwrap_or_default(),
            only: keys
                .iter()
                .map(|k| k.iter().filter(|k| !in_every(k)).cloned().collect())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
