//! Reading the store: the sites it holds, a site named by the user, and a site's scans with what changed from scan to scan.

use super::sql::cells;
use super::{
    Changes, Compared, FindingBrief, KeyState, SCHEMA_VERSION, ScanContents, Store, compare,
    short_time, site_key,
};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

impl Store {
    /// The sites the store holds scans of, with how many and the latest start time.
    pub fn sites(&mut self) -> Result<Vec<SiteSummary>> {
        self.site_rows().map_err(Error::store)
    }

    fn site_rows(&mut self) -> anyhow::Result<Vec<SiteSummary>> {
        self.db
            .query(
                "SELECT site, COUNT(*), MAX(started_at) FROM scans GROUP BY site ORDER BY site",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(SiteSummary {
                    site: r.text(0)?,
                    scans: r.int(1)? as usize,
                    last_started_at: r.text(2)?,
                })
            })
            .collect()
    }

    /// The site a user's `SITE` argument names: a URL (by the site rule) or a bare host (any
    /// scheme). Errors say which sites the store holds when none or several match.
    pub fn resolve_site(&mut self, input: &str) -> Result<String> {
        let sites = self.sites()?;
        let matches: Vec<&SiteSummary> = match site_key(input) {
            Some(key) => sites.iter().filter(|s| s.site == key).collect(),
            None => {
                let host = bare_host(input);
                sites
                    .iter()
                    .filter(|s| site_host(&s.site) == Some(host.as_str()))
                    .collect()
            }
        };
        match matches.as_slice() {
            [one] => Ok(one.site.clone()),
            [] if sites.is_empty() => Err(Error::usage(format!(
                "the store {} holds no scans yet",
                self.location
            ))),
            [] => Err(Error::usage(format!(
                "no scans of `{input}` in {}; it holds: {}",
                self.location,
                describe_sites(&sites)
            ))),
            several => Err(Error::usage(format!(
                "`{input}` matches several sites in {}: {}; give one as a URL",
                self.location,
                several
                    .iter()
                    .map(|s| s.site.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The last `limit` scans of `site` (a URL or a host, see [`Store::resolve_site`]), oldest
    /// first, each with what changed since the scan it is compared with.
    pub fn history(&mut self, site: &str, limit: usize) -> Result<History> {
        self.history_since(site, limit, None)
    }

    /// As [`Store::history`], only scans started at or after `since` (a [`super::timestamp_key`]).
    /// A scan is compared with the latest earlier complete (not aborted) scan of the same site
    /// with the same consent answer, even when that one is older than `since` or past the limit.
    pub fn history_since(
        &mut self,
        site: &str,
        limit: usize,
        since: Option<&str>,
    ) -> Result<History> {
        let site = self.resolve_site(site)?;
        let all = self.scans_of(&site).map_err(Error::store)?;
        let shown_from = all
            .iter()
            .position(|s| since.is_none_or(|t| s.started_at.as_str() >= t))
            .unwrap_or(all.len());
        let shown_from = shown_from.max(all.len().saturating_sub(limit));
        let mut contents: HashMap<i64, ScanContents> = HashMap::new();
        let mut entries = Vec::new();
        for (i, scan) in all.iter().enumerate().skip(shown_from) {
            let baseline = all[..i]
                .iter()
                .rev()
                .find(|p| p.consent == scan.consent && p.aborted.is_none());
            let changes = match baseline {
                Some(b) => {
                    for id in [b.id, scan.id] {
                        if let Entry::Vacant(slot) = contents.entry(id) {
                            slot.insert(self.contents(id).map_err(Error::store)?);
                        }
                    }
                    Some(compare(
                        &contents[&b.id],
                        &contents[&scan.id],
                        Compared::Attributes,
                    ))
                }
                None => None,
            };
            entries.push(HistoryEntry {
                scan: scan.clone(),
                first_on_record: i == 0,
                compared_with: baseline.map(|b| b.id),
                changes,
            });
        }
        Ok(History {
            store_schema_version: SCHEMA_VERSION,
            site,
            scans_on_record: all.len(),
            scans: entries,
        })
    }

    /// Every scan of `site`, oldest first.
    fn scans_of(&mut self, site: &str) -> anyhow::Result<Vec<ScanSummary>> {
        self.db
            .query(
                "SELECT id, site, url, started_at, duration_ms, tool_version, catalog_version,
                    browser_version, consent_action, key_count, finding_count, gating_count,
                    aborted_step, aborted_reason
                 FROM scans WHERE site = $1 ORDER BY started_at, id",
                &cells![site],
            )?
            .iter()
            .map(|r| {
                Ok(ScanSummary {
                    id: r.int(0)?,
                    site: r.text(1)?,
                    url: r.text(2)?,
                    started_at: r.text(3)?,
                    duration_ms: r.int(4)?,
                    tool_version: r.text(5)?,
                    catalog_version: r.text(6)?,
                    browser_version: r.text(7)?,
                    consent: r.text(8)?,
                    keys: r.int(9)?,
                    findings: r.int(10)?,
                    gating_findings: r.int(11)?,
                    aborted: match r.opt_text(12)? {
                        Some(step) => Some(Aborted {
                            step,
                            reason: r.opt_text(13)?.unwrap_or_default(),
                        }),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// The keys and findings of one scan, as the comparison needs them.
    fn contents(&mut self, scan_id: i64) -> anyhow::Result<ScanContents> {
        let keys = self
            .db
            .query(
                "SELECT storage, name, place, vendor, catalog_key, category, party, first_step,
                    expiry_class, http_only, secure, same_site, partition_key, value_sha256
                 FROM observations WHERE scan_id = $1 ORDER BY position",
                &cells![scan_id],
            )?
            .iter()
            .map(|r| {
                let storage = r.text(0)?;
                Ok(KeyState {
                    partitioned: (storage == "cookie").then_some(r.opt_text(12)?.is_some()),
                    storage,
                    name: r.text(1)?,
                    place: r.text(2)?,
                    vendor: r.opt_text(3)?,
                    catalog_key: r.opt_text(4)?,
                    category: r.opt_text(5)?,
                    party: r.text(6)?,
                    first_step: r.text(7)?,
                    expiry_class: r.text(8)?,
                    http_only: r.opt_bool(9)?,
                    secure: r.opt_bool(10)?,
                    same_site: r.opt_text(11)?,
                    value_sha256: r.text(13)?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let findings = self
            .db
            .query(
                "SELECT fingerprint, rule, severity, message, name, gating
                 FROM findings WHERE scan_id = $1 ORDER BY position",
                &cells![scan_id],
            )?
            .iter()
            .map(|r| {
                Ok(FindingBrief {
                    fingerprint: r.text(0)?,
                    rule: r.text(1)?,
                    severity: r.text(2)?,
                    message: r.text(3)?,
                    key_name: r.opt_text(4)?,
                    gating: r.bool(5)?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(ScanContents { keys, findings })
    }
}

/// The host of a site key.
fn site_host(site: &str) -> Option<&str> {
    site.split_once("://").map(|(_, host)| host)
}

/// A host as typed: `www.Example.com`, `www.example.com:8080`, `www.example.com/path`.
pub(super) fn bare_host(input: &str) -> String {
    let host = input
        .trim()
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn describe_sites(sites: &[SiteSummary]) -> String {
    sites
        .iter()
        .map(|s| {
            format!(
                "{} ({} scan{}, last {})",
                s.site,
                s.scans,
                if s.scans == 1 { "" } else { "s" },
                short_time(&s.last_started_at)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A site the store holds scans of.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    pub site: String,
    pub scans: usize,
    pub last_started_at: String,
}

/// The scans of one site, oldest first, each with what changed: the `history --format json` shape.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub store_schema_version: i64,
    /// The site key (see [`site_key`]).
    pub site: String,
    /// How many scans of the site the store holds (more than shown with --limit or --since).
    pub scans_on_record: usize,
    pub scans: Vec<HistoryEntry>,
}

/// One scan and what changed since the scan it is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub scan: ScanSummary,
    /// The store holds no earlier scan of this site.
    pub first_on_record: bool,
    /// The id of the scan compared with: the latest earlier complete scan with the same consent
    /// answer; `null` when there is none.
    pub compared_with: Option<i64>,
    /// `null` when there was nothing to compare with.
    pub changes: Option<Changes>,
}

/// A recorded scan in brief.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    pub site: String,
    pub url: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub tool_version: String,
    pub catalog_version: String,
    pub browser_version: String,
    /// The consent answer: accept, reject or none.
    pub consent: String,
    pub keys: i64,
    pub findings: i64,
    pub gating_findings: i64,
    pub aborted: Option<Aborted>,
}

/// Why a scan stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aborted {
    pub step: String,
    pub reason: String,
}
