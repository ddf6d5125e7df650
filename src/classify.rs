//! Offline classification: a capture's key names matched against the catalog, without a browser.
//!
//! # Streaming and the generic-name rule
//!
//! A generic name (`utm`, `token`, a generic Open Cookie Database entry) is attributed only when
//! its vendor or platform is evidenced elsewhere in the same input, so its attribution is known
//! only at the end. [`Classifier`] therefore sorts each key as it arrives:
//!
//! - a key whose judgement cannot depend on evidence (a distinctive vendor key, a name no entry
//!   matches, a name whose best Open Cookie Database entry is distinctive) is classified at once
//!   and can be written out at once;
//! - a key with a generic match is held until the input ends, then judged against the evidence
//!   of the whole input.
//!
//! Memory is thus bounded by the distinct generic-name keys of the input, not by its size, and
//! the input is read once (standard input cannot be read twice). `--format jsonl` writes keys as
//! they are classified: the held ones come last, in input order among themselves; every line
//! has its `origin`. The JSON and table outputs run the same classifier and put the keys back in
//! input order, so the two carry the same key objects (a test holds them equal).
//!
//! The streaming classifier also keeps only the first few reasons (in sort order) per evidenced
//! vendor or platform, which is all a judgement reads (whether a vendor is evidenced; the first
//! reason of a platform); the JSON output keeps every reason, and the table summarises them.

use std::collections::HashSet;

use crate::capture::{Capture, CaptureFormat, CapturedKey};
use crate::catalog::{Attribution, Catalog, Category, Evidence, Judgement, Strength};
use crate::vocab::StorageKind;
use serde::Serialize;

/// Reasons per vendor or platform the streaming classifier keeps.
const STREAMING_REASONS: usize = 3;

/// One classified key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classified {
    pub name: String,
    pub storage: Option<StorageKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where in the input it came from.
    pub origin: String,
    pub attribution: Attribution,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The storage the vendor declares, when it differs from the capture's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_storage: Option<StorageKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The classification of a whole capture.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    pub format: CaptureFormat,
    pub catalog_version: String,
    /// Vendors evidenced in the input (distinctive keys; scripts in a HAR or request headers).
    pub evidence: Evidence,
    /// Open Cookie Database platforms evidenced in the input (distinctive keys; cookie domains
    /// and request hosts): what a generic name's `likely` attribution rests on.
    #[serde(skip_serializing_if = "Evidence::is_empty")]
    pub platform_evidence: Evidence,
    /// The third-party database the catalog embeds, with its version and licence.
    pub cookie_database: crate::catalog::DatabaseRef,
    pub keys: Vec<Classified>,
    /// How many request URLs the input held (HAR entries, request headers).
    #[serde(skip)]
    pub evidence_urls: usize,
    /// Vendor id → display name, for the table.
    #[serde(skip)]
    pub vendor_names: std::collections::BTreeMap<String, String>,
    /// The platform each evidenced vendor runs on (`built_on`: Web1on1 on the Smooch
    /// messenger), which its platform-documented keys come from.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub runs_on: std::collections::BTreeMap<String, String>,
}

/// Classifies keys as they arrive, holding back those whose attribution rests on evidence from
/// the whole input (see the module docs). Keys carry their position in the input (from 0).
pub struct Classifier<'c> {
    catalog: &'c Catalog,
    show_values: bool,
    /// `None`: keep every evidence reason; `Some(n)`: the first `n` per vendor or platform.
    reason_cap: Option<usize>,
    evidence: Evidence,
    platform_evidence: Evidence,
    seen_hosts: HashSet<String>,
    held: Vec<(usize, CapturedKey)>,
    next: usize,
    no_evidence: Evidence,
}

/// What is left when the input has ended.
pub struct Finished {
    /// The held keys, judged against the whole input, in input order.
    pub held: Vec<(usize, Classified)>,
    pub evidence: Evidence,
    pub platform_evidence: Evidence,
}

/// Adds a reason, keeping at most `cap` (the smallest) per vendor or platform.
fn add_reason(ev: &mut Evidence, id: &str, reason: String, cap: Option<usize>) {
    match ev.0.get_mut(id) {
        Some(reasons) => {
            reasons.insert(reason);
            if cap.is_some_and(|cap| reasons.len() > cap) {
                reasons.pop_last();
            }
        }
        None => ev.add(id, reason),
    }
}

impl<'c> Classifier<'c> {
    /// A classifier that keeps every evidence reason (for the JSON and table outputs).
    pub fn new(catalog: &'c Catalog, show_values: bool) -> Self {
        Classifier {
            catalog,
            show_values,
            reason_cap: None,
            evidence: Evidence::default(),
            platform_evidence: Evidence::default(),
            seen_hosts: HashSet::new(),
            held: Vec::new(),
            next: 0,
            no_evidence: Evidence::default(),
        }
    }

    /// A classifier whose memory does not grow with the evidence (for `--format jsonl`).
    pub fn streaming(catalog: &'c Catalog, show_values: bool) -> Self {
        Classifier {
            reason_cap: Some(STREAMING_REASONS),
            ..Self::new(catalog, show_values)
        }
    }

    /// Vendor and platform evidence so far.
    pub fn evidence(&self) -> (&Evidence, &Evidence) {
        (&self.evidence, &self.platform_evidence)
    }

    /// A request URL: evidence of the vendor scripts it matches and of the platforms on its host.
    pub fn url(&mut self, url: &str) {
        for (vendor, reasons) in self.catalog.evidence_from_scripts([url]).0 {
            for reason in reasons {
                add_reason(&mut self.evidence, &vendor, reason, self.reason_cap);
            }
        }
        self.host(url);
    }

    /// Platforms whose keys the Open Cookie Database places on `host` (a URL, origin or domain).
    fn host(&mut self, host: &str) {
        let host = crate::catalog::ocd::host_part(host);
        let host = host.trim_start_matches('.');
        if host.is_empty() || self.seen_hosts.contains(host) {
            return;
        }
        let host = host.to_ascii_lowercase();
        for p in self.catalog.ocd.platforms_on_host(&host) {
            add_reason(
                &mut self.platform_evidence,
                &p.id,
                format!("host {host}"),
                self.reason_cap,
            );
        }
        self.seen_hosts.insert(host);
    }

    /// Takes in one key: returns it classified with its position when its attribution cannot
    /// depend on evidence, else holds it for [`Classifier::finish`].
    pub fn key(&mut self, key: CapturedKey) -> Option<(usize, Classified)> {
        let position = self.next;
        self.next += 1;
        if let Some(domain) = key.domain.as_deref() {
            self.host(domain);
        }
        let catalog = self.catalog;
        let name = key.name.as_str();
        // The first look decides whether the answer can depend on evidence still to come; when
        // it cannot, it is the answer (looking again would find the same, at twice the cost).
        let judged = match catalog.lookup(name) {
            Some(m) => {
                if m.key.strength == Strength::Distinctive {
                    add_reason(
                        &mut self.evidence,
                        &m.vendor.id,
                        format!("key {name}"),
                        self.reason_cap,
                    );
                }
                // A platform's key goes to a vendor built on the platform when that vendor is
                // evidenced anywhere in the input (`Catalog::lookup_evidenced`): held too.
                let dependent = m.key.strength == Strength::Generic
                    || (m.vendor.platform
                        && catalog.vendors.iter().any(|v| {
                            v.built_on
                                .as_ref()
                                .is_some_and(|p| p.get_ref() == &m.vendor.id)
                        }));
                (!dependent).then(|| Judgement::of_vendor_key(m, &self.evidence))
            }
            // As `Catalog::judge`: the first distinctive entry wins unless a generic entry comes
            // before it, and a generic entry wins only when its platform is evidenced.
            None => match catalog.ocd.judge(name, &self.no_evidence) {
                Ok(m) => {
                    add_reason(
                        &mut self.platform_evidence,
                        &m.platform.id,
                        format!("key {name}"),
                        self.reason_cap,
                    );
                    let dependent = catalog
                        .ocd
                        .candidates(name)
                        .first()
                        .is_some_and(|(_, k)| k.strength() == Strength::Generic);
                    (!dependent).then(|| Judgement::of_platform_key(m))
                }
                Err(None) => Some(Judgement::unknown(None)),
                Err(Some(_)) => None,
            },
        };
        let Some(judged) = judged else {
            self.held.push((position, key));
            return None;
        };
        Some((position, self.classified(key, judged)))
    }

    /// Judges one key against the evidence so far.
    fn classify(&self, k: CapturedKey) -> Classified {
        let judged = self
            .catalog
            .judge(&k.name, &self.evidence, &self.platform_evidence);
        self.classified(k, judged)
    }

    /// The key with its judgement.
    fn classified(&self, k: CapturedKey, judged: Judgement<'_>) -> Classified {
        let entry = judged.vendor_key.as_ref();
        let platform = judged.platform_key.as_ref();
        Classified {
            category: entry
                .map(|m| m.key.category)
                .or(platform.map(|m| m.key.category)),
            purpose: entry
                .map(|m| m.key.purpose.clone())
                .or(platform.map(|m| m.key.purpose(m.platform, k.storage))),
            declared_storage: entry
                .map(|m| m.key.storage)
                .filter(|declared| k.storage.is_some_and(|s| s != *declared)),
            attribution: judged.attribution,
            name: k.name,
            storage: k.storage,
            domain: k.domain,
            origin: k.origin,
            value: if self.show_values { k.value } else { None },
        }
    }

    /// Judges the held keys against the evidence of the whole input.
    pub fn finish(self) -> Finished {
        let mut held = Vec::with_capacity(self.held.len());
        let mut finished = self.finish_each(|position, key| {
            held.push((position, key));
            true
        });
        finished.held = held;
        finished
    }

    /// As [`Classifier::finish`], handing each held key to `each` as it is judged (a stream
    /// keeps one judged key in memory, not all of them); `each` returns false to stop. The
    /// returned `held` is empty.
    pub fn finish_each(mut self, mut each: impl FnMut(usize, Classified) -> bool) -> Finished {
        // A vendor's own keys beside its platform's are the vendor's footprint (held keys: a
        // generic name is always held); then a platform seen with a vendor built on it is that
        // vendor's.
        let footprint = self.catalog.evidence_from_footprint(
            self.held.iter().map(|(_, k)| k.name.as_str()),
            &self.evidence,
        );
        for (vendor, reasons) in footprint.0 {
            for reason in reasons {
                add_reason(&mut self.evidence, &vendor, reason, self.reason_cap);
            }
        }
        self.catalog.settle(&mut self.evidence);
        let held = std::mem::take(&mut self.held);
        for (position, key) in held {
            if !each(position, self.classify(key)) {
                break;
            }
        }
        Finished {
            held: Vec::new(),
            evidence: self.evidence,
            platform_evidence: self.platform_evidence,
        }
    }
}

/// Builds the classification from the keys classified at once and what [`Classifier::finish`]
/// returned, in input order.
pub fn assemble(
    catalog: &Catalog,
    format: CaptureFormat,
    mut keys: Vec<(usize, Classified)>,
    finished: Finished,
    evidence_urls: usize,
) -> Classification {
    keys.extend(finished.held);
    keys.sort_unstable_by_key(|(position, _)| *position);
    Classification {
        format,
        catalog_version: catalog.version.clone(),
        vendor_names: catalog
            .vendors
            .iter()
            .map(|v| (v.id.clone(), v.name.clone()))
            .collect(),
        runs_on: catalog
            .vendors
            .iter()
            .filter(|v| finished.evidence.contains(&v.id))
            .filter_map(|v| Some((v.id.clone(), v.built_on.as_ref()?.get_ref().clone())))
            .collect(),
        evidence: finished.evidence,
        platform_evidence: finished.platform_evidence,
        cookie_database: catalog.ocd.database.clone(),
        keys: keys.into_iter().map(|(_, k)| k).collect(),
        evidence_urls,
    }
}

/// Attributes every key of `capture`, applying the generic-name rule over the whole input.
pub fn classify(catalog: &Catalog, capture: Capture, show_values: bool) -> Classification {
    let mut classifier = Classifier::new(catalog, show_values);
    let urls = capture.evidence_urls.len();
    for url in &capture.evidence_urls {
        classifier.url(url);
    }
    let now: Vec<(usize, Classified)> = capture
        .keys
        .into_iter()
        .filter_map(|k| classifier.key(k))
        .collect();
    let finished = classifier.finish();
    assemble(catalog, capture.format, now, finished, urls)
}

/// Renders a classification as a terminal table.
pub fn render_table(c: &Classification, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use tabled::{Table, settings::Style};
    writeln!(
        out,
        "input: {}; catalog {}; {}",
        c.format,
        c.catalog_version,
        c.cookie_database.describe()
    )?;
    if c.keys.is_empty() {
        return render_no_keys(c, out);
    }
    render_evidence(c, out)?;
    let rows = c.keys.iter().map(|k| KeyRow::of(c, k));
    writeln!(out, "{}", Table::new(rows).with(Style::sharp()))?;
    let unknown = c.keys.iter().filter(|k| !k.attribution.is_known()).count();
    let platform = c
        .keys
        .iter()
        .filter(|k| k.attribution.platform().is_some())
        .count();
    writeln!(
        out,
        "{} keys: {} attributed to a chat vendor, {platform} to a platform (Open Cookie Database), {unknown} unknown",
        c.keys.len(),
        c.keys.len() - unknown - platform
    )?;
    Ok(())
}

/// The evidence lines above the table: every vendor's, and a platform's only where a generic
/// name rests on it.
fn render_evidence(c: &Classification, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    for (v, reasons) in &c.evidence.0 {
        writeln!(out, "evidence for {v}: {}", summarise(reasons))?;
    }
    let likely: std::collections::BTreeSet<&str> = c
        .keys
        .iter()
        .filter_map(|k| match &k.attribution {
            Attribution::Platform {
                platform,
                confidence: crate::catalog::Certainty::Likely,
                ..
            } => Some(platform.as_str()),
            _ => None,
        })
        .collect();
    for (p, reasons) in c
        .platform_evidence
        .0
        .iter()
        .filter(|(p, _)| likely.contains(p.as_str()))
    {
        writeln!(out, "evidence for platform {p}: {}", summarise(reasons))?;
    }
    Ok(())
}

/// One key's row of the terminal table.
#[derive(tabled::Tabled)]
struct KeyRow {
    name: String,
    storage: String,
    #[tabled(rename = "vendor / platform")]
    vendor: String,
    key: String,
    ids: String,
    category: String,
}

impl KeyRow {
    fn of(c: &Classification, k: &Classified) -> KeyRow {
        use crate::vocab::terminal_safe;
        let (vendor, key, ids) = attribution_columns(c, &k.attribution);
        let mut storage = k
            .storage
            .map(|s| s.to_string())
            .unwrap_or_else(|| "?".into());
        if let Some(d) = k.declared_storage {
            storage.push_str(&format!(" (declared {d})"));
        }
        KeyRow {
            name: terminal_safe(&k.name, 60),
            storage,
            vendor,
            key,
            ids,
            category: k.category.map(|c| c.to_string()).unwrap_or_default(),
        }
    }
}

/// The vendor (or platform, or consent manager), catalog key and captured ids columns of an
/// attribution.
fn attribution_columns(c: &Classification, attribution: &Attribution) -> (String, String, String) {
    use crate::vocab::terminal_safe;
    match attribution {
        Attribution::Known {
            vendor,
            key,
            captures,
            ..
        } => (
            match c.runs_on.get(vendor) {
                Some(platform) => format!("{vendor} (on {platform})"),
                None => vendor.clone(),
            },
            terminal_safe(key, 50),
            captures
                .iter()
                .map(|(n, v)| format!("{n}={}", terminal_safe(v, 30)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Attribution::Platform {
            platform_name,
            key,
            confidence,
            ..
        } => (
            match confidence {
                crate::catalog::Certainty::Certain => platform_name.clone(),
                crate::catalog::Certainty::Likely => format!("{platform_name} (likely)"),
            },
            terminal_safe(key, 50),
            String::new(),
        ),
        Attribution::ConsentManager { cmp_name, key, .. } => (
            format!("{cmp_name} (consent manager)"),
            terminal_safe(key, 50),
            String::new(),
        ),
        Attribution::Unknown { candidate } => (
            "unknown".to_string(),
            candidate
                .as_ref()
                .map(|c| format!("(generic; would be {})", terminal_safe(c, 40)))
                .unwrap_or_default(),
            String::new(),
        ),
    }
}

/// The first three reasons, made safe for a terminal, and how many more there are.
fn summarise(reasons: &std::collections::BTreeSet<String>) -> String {
    use crate::vocab::terminal_safe;
    let mut text = reasons
        .iter()
        .take(3)
        .map(|r| terminal_safe(r, 80))
        .collect::<Vec<_>>()
        .join(", ");
    if reasons.len() > 3 {
        text.push_str(&format!(", and {} more", thousands(reasons.len() - 3)));
    }
    text
}

/// `249997` → `249,997`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// What a capture without keys still says: the vendors its request URLs evidence.
pub fn describe_no_keys(c: &Classification) -> String {
    use crate::vocab::terminal_safe;
    let vendors: Vec<String> = c
        .evidence
        .0
        .iter()
        .map(|(id, reasons)| {
            let name = c.vendor_names.get(id).map_or(id.as_str(), String::as_str);
            let first = reasons
                .first()
                .map(|r| terminal_safe(r, 60))
                .unwrap_or_default();
            format!("{name} ({first})")
        })
        .collect();
    if vendors.is_empty() {
        format!(
            "no keys in this capture; no chat vendor evidenced by its {} request URL{}",
            c.evidence_urls,
            if c.evidence_urls == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "no keys in this capture; vendor evidence: {}",
            vendors.join("; ")
        )
    }
}

fn render_no_keys(c: &Classification, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    writeln!(out, "{}", describe_no_keys(c))?;
    if c.format == CaptureFormat::Har {
        writeln!(
            out,
            "(Chrome's DevTools leave cookies out of an exported HAR unless it is exported \"with sensitive data\"; export it so to classify them)"
        )?;
    }
    Ok(())
}
