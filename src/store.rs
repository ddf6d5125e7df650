//! The scan history store: every judged scan recorded in an SQLite file or a PostgreSQL database, and what changed from scan to scan.
//!
//! The schema is documented for users in `docs/store.md`; keep the two in step. Values are never
//! stored: only their length and short hash, as reports show them by default.

pub use crate::compare::{
    AttributeChange, Changes, Compared, FindingBrief, KeyChange, KeyState, ScanContents, compare,
    expiry_class, place_of,
};
use crate::report::ScanReport;
use anyhow::Context;
use serde::Serialize;
use sql::{Db, cells};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

/// Version of the store's schema, kept in `PRAGMA user_version`; bumped on any change to it.
pub const SCHEMA_VERSION: i64 = 2;

/// What brings a store of an older schema up to date: from each version, the SQL (both
/// databases read it) that makes the next. Schema 2: the journey's pages.
const UPGRADES: &[(i64, &str)] = &[(
    1,
    "ALTER TABLE observations ADD COLUMN first_page TEXT;
     ALTER TABLE findings ADD COLUMN page TEXT;",
)];

/// The SQL that brings a store of schema `from` to this one.
fn upgrade_from(from: i64) -> String {
    UPGRADES
        .iter()
        .filter(|(v, _)| *v >= from)
        .map(|(_, sql)| *sql)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `PRAGMA application_id` of a chatcookie store ("ccks"): tells it from other SQLite files.
pub const APPLICATION_ID: i64 = 0x6363_6b73;

/// The tables, in the SQL both databases read (PostgreSQL widens INTEGER to BIGINT, see
/// `postgresql.rs`); documented in docs/store.md.
const SCHEMA: &str = "
CREATE TABLE scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    final_url TEXT NOT NULL,
    http_status INTEGER,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    browser_version TEXT NOT NULL,
    third_party_cookies TEXT,
    consent_action TEXT NOT NULL,
    consent_method TEXT NOT NULL,
    consent_cmp TEXT,
    consent_done INTEGER NOT NULL,
    options_json TEXT NOT NULL,
    policy TEXT,
    fail_on TEXT,
    baseline TEXT,
    aborted_step TEXT,
    aborted_reason TEXT,
    key_count INTEGER NOT NULL,
    finding_count INTEGER NOT NULL,
    gating_count INTEGER NOT NULL,
    snapshot_error_count INTEGER NOT NULL,
    report_json TEXT NOT NULL
);
CREATE INDEX scans_site_started_at ON scans (site, started_at);

CREATE TABLE observations (
    scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    storage TEXT NOT NULL,
    name TEXT NOT NULL,
    place TEXT NOT NULL,
    location TEXT NOT NULL,
    storage_key TEXT,
    frame_url TEXT,
    party TEXT NOT NULL,
    vendor TEXT,
    catalog_key TEXT,
    category TEXT,
    first_step TEXT NOT NULL,
    first_page TEXT,
    removed_at TEXT,
    expiry_class TEXT NOT NULL,
    lifetime_seconds INTEGER,
    http_only INTEGER,
    secure INTEGER,
    same_site TEXT,
    partition_key TEXT,
    value_length INTEGER NOT NULL,
    value_sha256 TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    PRIMARY KEY (scan_id, position)
);
CREATE INDEX observations_key ON observations (storage, name, place);

CREATE TABLE findings (
    scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    storage TEXT,
    name TEXT,
    location TEXT,
    step TEXT,
    page TEXT,
    message TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    policy_line INTEGER,
    gating INTEGER NOT NULL,
    in_baseline INTEGER NOT NULL,
    PRIMARY KEY (scan_id, position)
);
CREATE INDEX findings_fingerprint ON findings (fingerprint);
";

/// What a database holds, schema-wise.
#[derive(Debug, PartialEq, Eq)]
enum SchemaState {
    /// A new or empty database: the schema can be created.
    Empty,
    /// A chatcookie store of this schema version.
    Current,
    /// A chatcookie store of an older schema version: readable, upgraded before it is written.
    Older(i64),
}

/// A store the user named that cannot serve: not SQLite, another program's, too new, a database
/// that cannot be reached.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Where a store lives: an SQLite file (the embedded default), or a PostgreSQL database that a
/// fleet of sharded jobs writes into together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    File(PathBuf),
    /// A `postgres://` or `postgresql://` URL, as given (it may hold a password: see Display).
    Postgres(String),
}

impl StoreLocation {
    /// Reads a `--store` value: a PostgreSQL URL, or else a file path. Only the kind is decided
    /// here; [`Store::check_usable`] says what is wrong with it (a message that never repeats a
    /// password, as a command-line parser's "invalid value" would).
    pub fn parse(s: &str) -> Result<StoreLocation, StoreError> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(s.to_string()));
        }
        if s.is_empty() {
            return Err(StoreError("the store is an empty path".into()));
        }
        Ok(StoreLocation::File(PathBuf::from(s)))
    }
}

impl std::fmt::Display for StoreLocation {
    /// The file's path, or the URL with its password replaced (messages and reports show it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::File(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&postgresql::shown(url)),
        }
    }
}

impl From<&Path> for StoreLocation {
    fn from(path: &Path) -> StoreLocation {
        StoreLocation::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(path: &PathBuf) -> StoreLocation {
        StoreLocation::File(path.clone())
    }
}

impl From<&StoreLocation> for StoreLocation {
    fn from(location: &StoreLocation) -> StoreLocation {
        location.clone()
    }
}

/// An open scan history store.
pub struct Store {
    db: Db,
    location: StoreLocation,
}

impl Store {
    /// Opens the store, creating the file (or the tables in the database) if missing. Refuses a
    /// file that is not SQLite, another program's database, or a store of a newer schema.
    pub fn open(location: impl Into<StoreLocation>) -> anyhow::Result<Store> {
        Store::open_as(location.into(), true)
    }

    /// Opens an existing store (history reads it); a missing one is an error, not a new store.
    pub fn open_existing(location: impl Into<StoreLocation>) -> anyhow::Result<Store> {
        Store::open_as(location.into(), false)
    }

    fn open_as(location: StoreLocation, create: bool) -> anyhow::Result<Store> {
        let db = match &location {
            StoreLocation::File(path) => Db::Sqlite(sqlite::open(path, create)?),
            StoreLocation::Postgres(url) => Db::Postgres(Box::new(postgresql::open(url, create)?)),
        };
        Ok(Store { db, location })
    }

    /// Checks, without changing anything, that the store can be created or already is one: run
    /// before a scan so that a wrong `--store` is refused before minutes of scanning, not after.
    pub fn check_usable(location: impl Into<StoreLocation>) -> Result<(), StoreError> {
        match location.into() {
            StoreLocation::File(path) => sqlite::check_usable(&path),
            StoreLocation::Postgres(url) => postgresql::check_usable(&url),
        }
    }

    /// Where this store lives.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// Records one judged (and gated) scan, in one transaction; returns the scan's id.
    pub fn record(&mut self, report: &ScanReport) -> anyhow::Result<i64> {
        let p = &report.provenance;
        let site =
            site_key(&p.url).with_context(|| format!("cannot derive the site of `{}`", p.url))?;
        let started_at = timestamp_key(&p.started_at).unwrap_or_else(|| p.started_at.clone());
        let recorded_at = timestamp_key(&crate::vocab::now_rfc3339()).unwrap_or_default();
        let gating = report.findings.iter().filter(|f| f.gating).count();
        let scan = cells![
            site,
            &p.url,
            &p.final_url,
            p.http_status,
            started_at,
            p.duration_ms as i64,
            recorded_at,
            &p.tool_version,
            &p.catalog_version,
            &p.browser_version,
            p.third_party_cookies.map(|t| enum_str(&t)),
            enum_str(&p.consent.action),
            &p.consent.method,
            p.consent.cmp_used.as_ref(),
            p.consent.done,
            serde_json::to_string(&p.options)?,
            p.policy.as_ref(),
            p.fail_on.as_ref(),
            p.baseline.as_ref(),
            report.aborted.as_ref().map(|a| a.step.as_str()),
            report.aborted.as_ref().map(|a| a.reason.as_str()),
            report.observations.len() as i64,
            report.findings.len() as i64,
            gating as i64,
            report.snapshot_errors.len() as i64,
            redacted_report_json(report)?,
        ];
        let location = self.location.to_string();
        self.db
            .transaction(|tx| {
                let scan_id = tx
                    .query(
                        "INSERT INTO scans (site, url, final_url, http_status, started_at,
                            duration_ms, recorded_at, tool_version, catalog_version,
                            browser_version, third_party_cookies, consent_action, consent_method,
                            consent_cmp, consent_done, options_json, policy, fail_on, baseline,
                            aborted_step, aborted_reason, key_count, finding_count, gating_count,
                            snapshot_error_count, report_json)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                            $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
                         RETURNING id",
                        &scan,
                    )?
                    .first()
                    .context("the store returned no id for the new scan")?
                    .int(0)?;
                for (position, o) in report.observations.iter().enumerate() {
                    // The identity and classes the comparison reads back: one definition.
                    let key = KeyState::of(o);
                    let c = o.cookie.as_ref();
                    let attributes = serde_json::json!({
                        "cookie": c,
                        "changes": o.changes,
                        "json_fields": o.json_fields,
                    });
                    tx.execute(
                        "INSERT INTO observations (scan_id, position, storage, name, place,
                            location, storage_key, frame_url, party, vendor, catalog_key,
                            category, first_step, removed_at, expiry_class, lifetime_seconds,
                            http_only, secure, same_site, partition_key, value_length,
                            value_sha256, attributes_json, first_page)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                            $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
                        &cells![
                            scan_id,
                            position as i64,
                            o.storage.as_str(),
                            &o.name,
                            key.place,
                            &o.location,
                            o.storage_key.as_ref(),
                            o.frame_url.as_ref(),
                            key.party,
                            o.attribution.vendor(),
                            o.attribution.key(),
                            o.catalog.as_ref().map(|f| f.category.as_str()),
                            o.first_step.as_str(),
                            o.removed_at.map(|s| s.as_str()),
                            key.expiry_class,
                            c.and_then(|c| c.lifetime_seconds),
                            c.map(|c| c.http_only),
                            c.map(|c| c.secure),
                            c.and_then(|c| c.same_site.clone()),
                            c.and_then(|c| c.partition_key.clone()),
                            o.value.length as i64,
                            &o.value.sha256,
                            attributes.to_string(),
                            (!o.first_page.is_empty()).then_some(o.first_page.as_str()),
                        ],
                    )?;
                }
                for (position, f) in report.findings.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO findings (scan_id, position, rule, severity, fingerprint,
                            storage, name, location, step, message, evidence_json, policy_line,
                            gating, in_baseline, page)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                            $15)",
                        &cells![
                            scan_id,
                            position as i64,
                            f.rule.id(),
                            f.severity.as_str(),
                            &f.fingerprint,
                            f.key.as_ref().map(|k| k.storage.as_str()),
                            f.key.as_ref().map(|k| k.name.as_str()),
                            f.key.as_ref().map(|k| k.location.as_str()),
                            f.step.map(|s| s.as_str()),
                            &f.message,
                            serde_json::to_string(&f.evidence)?,
                            f.policy_line.map(|l| l as i64),
                            f.gating,
                            f.in_baseline,
                            f.page.as_deref(),
                        ],
                    )?;
                }
                Ok(scan_id)
            })
            .with_context(|| format!("cannot write to the store {location}"))
    }

    /// The sites the store holds scans of, with how many and the latest start time.
    pub fn sites(&mut self) -> anyhow::Result<Vec<SiteSummary>> {
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
    pub fn resolve_site(&mut self, input: &str) -> anyhow::Result<String> {
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
            [] if sites.is_empty() => {
                Err(StoreError(format!("the store {} holds no scans yet", self.location)).into())
            }
            [] => Err(StoreError(format!(
                "no scans of `{input}` in {}; it holds: {}",
                self.location,
                describe_sites(&sites)
            ))
            .into()),
            several => Err(StoreError(format!(
                "`{input}` matches several sites in {}: {}; give one as a URL",
                self.location,
                several
                    .iter()
                    .map(|s| s.site.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into()),
        }
    }

    /// The last `limit` scans of `site` (a URL or a host, see [`Store::resolve_site`]), oldest
    /// first, each with what changed since the scan it is compared with.
    pub fn history(&mut self, site: &str, limit: usize) -> anyhow::Result<History> {
        self.history_since(site, limit, None)
    }

    /// As [`Store::history`], only scans started at or after `since` (a [`timestamp_key`]).
    /// A scan is compared with the latest earlier complete (not aborted) scan of the same site
    /// with the same consent answer, even when that one is older than `since` or past the limit.
    pub fn history_since(
        &mut self,
        site: &str,
        limit: usize,
        since: Option<&str>,
    ) -> anyhow::Result<History> {
        let site = self.resolve_site(site)?;
        let all = self.scans_of(&site)?;
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
                            slot.insert(self.contents(id)?);
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

/// The report as JSON with every value removed (`--show-values` puts them in the report, never
/// in the store): observations keep the value's length and short hash only.
fn redacted_report_json(report: &ScanReport) -> anyhow::Result<String> {
    let mut json = serde_json::to_value(report)?;
    if let Some(observations) = json.get_mut("observations").and_then(|o| o.as_array_mut()) {
        for o in observations {
            if let Some(value) = o.get_mut("value").and_then(|v| v.as_object_mut()) {
                value.remove("value");
            }
        }
    }
    redact_request_urls(&mut json);
    Ok(json.to_string())
}

/// Request URLs (`requests[]`, and the hosts' samples under `network`) with their query and
/// fragment values redacted, as in a report made without `--show-values`.
fn redact_request_urls(json: &mut serde_json::Value) {
    fn redact(r: &mut serde_json::Value) {
        for field in ["url", "initiator_url"] {
            if let Some(u) = r.get(field).and_then(|u| u.as_str()) {
                r[field] = crate::network::redact_url(u, false).into();
            }
        }
    }
    if let Some(requests) = json.get_mut("requests").and_then(|r| r.as_array_mut()) {
        requests.iter_mut().for_each(redact);
    }
    if let Some(hosts) = json
        .pointer_mut("/network/hosts")
        .and_then(|h| h.as_array_mut())
    {
        for step in hosts
            .iter_mut()
            .filter_map(|h| h.get_mut("steps").and_then(|s| s.as_array_mut()))
            .flatten()
        {
            if let Some(samples) = step.get_mut("samples").and_then(|s| s.as_array_mut()) {
                samples.iter_mut().for_each(redact);
            }
        }
    }
}

/// The site a scanned URL belongs to: `scheme://host`, lower-cased, without port, path or query.
///
/// The port is dropped on purpose: a served directory gets a new loopback port on every run, and
/// cookies are not kept apart by port either. `None` for anything but an http(s) URL with a host.
pub fn site_key(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(format!("{}://{host}", u.scheme()))
}

/// The host of a site key.
fn site_host(site: &str) -> Option<&str> {
    site.split_once("://").map(|(_, host)| host)
}

/// A host as typed: `www.Example.com`, `www.example.com:8080`, `www.example.com/path`.
fn bare_host(input: &str) -> String {
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

/// The serde name of a unit enum variant (`accept`, `block`): the spelling reports use.
fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Normalises an RFC 3339 time, or a `YYYY-MM-DD` date (midnight UTC), to the store's sortable
/// UTC form `YYYY-MM-DDTHH:MM:SS.sssZ`, which SQLite's date functions read as it is.
pub fn timestamp_key(s: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = s.trim();
    let t = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t,
        Err(_) => time::Date::parse(s, format_description!("[year]-[month]-[day]"))
            .ok()?
            .midnight()
            .assume_utc(),
    };
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .ok()
}

/// `2026-11-23 18:40 UTC` from a stored timestamp.
pub fn short_time(stored: &str) -> String {
    match (stored.get(..10), stored.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => stored.to_string(),
    }
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

mod postgresql;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;
