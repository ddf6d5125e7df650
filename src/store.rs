//! The scan history store: every judged scan recorded in an SQLite file, and what changed from scan to scan.
//!
//! The schema is documented for users in `docs/store.md`; keep the two in step. Values are never
//! stored: only their length and short hash, as reports show them by default.

pub use crate::compare::{
    AttributeChange, Changes, Compared, FindingBrief, KeyChange, KeyState, ScanContents, compare,
    expiry_class, place_of,
};
use crate::report::ScanReport;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Version of the store's schema, kept in `PRAGMA user_version`; bumped on any change to it.
pub const SCHEMA_VERSION: i64 = 1;

/// `PRAGMA application_id` of a chatcookie store ("ccks"): tells it from other SQLite files.
pub const APPLICATION_ID: i64 = 0x6363_6b73;

/// How long a writer waits for another one (two CI jobs recording into the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
    message TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    policy_line INTEGER,
    gating INTEGER NOT NULL,
    in_baseline INTEGER NOT NULL,
    PRIMARY KEY (scan_id, position)
);
CREATE INDEX findings_fingerprint ON findings (fingerprint);
";

/// A file the user named that cannot serve as a store: not SQLite, another program's, too new.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// An open scan history store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating the file and its schema if missing. Refuses a file
    /// that is not SQLite, another program's database, or a store of a newer schema.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open or create the store {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare(true)?;
        Ok(store)
    }

    /// Opens an existing store (history reads it); a missing file is an error, not a new store.
    pub fn open_existing(path: &Path) -> anyhow::Result<Store> {
        if !path.is_file() {
            return Err(StoreError(format!(
                "no store at {} (`chatcookie scan URL --store {}` creates one)",
                path.display(),
                path.display()
            ))
            .into());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare(false)?;
        Ok(store)
    }

    /// Checks, without changing anything, that `path` can become or already is a store: run before
    /// a scan so that a wrong `--store` is refused before minutes of scanning, not after.
    pub fn check_usable(path: &Path) -> Result<(), StoreError> {
        if !path.exists() {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            return match parent {
                Some(dir) if !dir.is_dir() => Err(StoreError(format!(
                    "cannot create the store {}: the directory {} does not exist",
                    path.display(),
                    dir.display()
                ))),
                _ => Ok(()),
            };
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError(format!("cannot open the store {}: {e}", path.display())))?;
        schema_state(&conn, path).map(|_| ())
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Validates the file and, when it is new and `create` is set, writes the schema.
    fn prepare(&mut self, create: bool) -> anyhow::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        if schema_state(&self.conn, &self.path)? == SchemaState::Current {
            return Ok(());
        }
        if !create {
            return Err(StoreError(format!(
                "{} is an empty SQLite file, not a chatcookie store",
                self.path.display()
            ))
            .into());
        }
        // Converting a new file to WAL can meet another process doing the same, and SQLite then
        // answers "busy" at once instead of waiting: retry as long as a writer would wait.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match self.create_schema() {
                Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                result => {
                    return result.with_context(|| {
                        format!("cannot create the store {}", self.path.display())
                    });
                }
            }
        }
    }

    /// Writes the schema into a new file, unless another process just did.
    fn create_schema(&mut self) -> anyhow::Result<()> {
        // WAL lets `history` read while a scan writes; the mode is kept in the file.
        self.conn
            .pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if schema_state(&tx, &self.path)? == SchemaState::Empty {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records one judged (and gated) scan, in one transaction; returns the scan's id.
    pub fn record(&mut self, report: &ScanReport) -> anyhow::Result<i64> {
        let p = &report.provenance;
        let site =
            site_key(&p.url).with_context(|| format!("cannot derive the site of `{}`", p.url))?;
        let started_at = timestamp_key(&p.started_at).unwrap_or_else(|| p.started_at.clone());
        let recorded_at = timestamp_key(&crate::vocab::now_rfc3339()).unwrap_or_default();
        let gating = report.findings.iter().filter(|f| f.gating).count();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .with_context(|| format!("cannot write to the store {}", self.path.display()))?;
        tx.execute(
            "INSERT INTO scans (site, url, final_url, http_status, started_at, duration_ms,
                recorded_at, tool_version, catalog_version, browser_version, third_party_cookies,
                consent_action, consent_method, consent_cmp, consent_done, options_json, policy,
                fail_on, baseline, aborted_step, aborted_reason, key_count, finding_count,
                gating_count, snapshot_error_count, report_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
            params![
                site,
                p.url,
                p.final_url,
                p.http_status,
                started_at,
                p.duration_ms as i64,
                recorded_at,
                p.tool_version,
                p.catalog_version,
                p.browser_version,
                p.third_party_cookies.map(|t| enum_str(&t)),
                enum_str(&p.consent.action),
                p.consent.method,
                p.consent.cmp_used,
                p.consent.done,
                serde_json::to_string(&p.options)?,
                p.policy,
                p.fail_on,
                p.baseline,
                report.aborted.as_ref().map(|a| a.step.as_str()),
                report.aborted.as_ref().map(|a| a.reason.as_str()),
                report.observations.len() as i64,
                report.findings.len() as i64,
                gating as i64,
                report.snapshot_errors.len() as i64,
                redacted_report_json(report)?,
            ],
        )?;
        let scan_id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO observations (scan_id, position, storage, name, place, location,
                    storage_key, frame_url, party, vendor, catalog_key, category, first_step,
                    removed_at, expiry_class, lifetime_seconds, http_only, secure, same_site,
                    partition_key, value_length, value_sha256, attributes_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            for (position, o) in report.observations.iter().enumerate() {
                // The identity and classes the comparison reads back: one definition.
                let key = KeyState::of(o);
                let c = o.cookie.as_ref();
                let attributes = serde_json::json!({
                    "cookie": c,
                    "changes": o.changes,
                    "json_fields": o.json_fields,
                });
                insert.execute(params![
                    scan_id,
                    position as i64,
                    o.storage.as_str(),
                    o.name,
                    key.place,
                    o.location,
                    o.storage_key,
                    o.frame_url,
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
                    o.value.sha256,
                    attributes.to_string(),
                ])?;
            }
            let mut insert = tx.prepare(
                "INSERT INTO findings (scan_id, position, rule, severity, fingerprint, storage,
                    name, location, step, message, evidence_json, policy_line, gating, in_baseline)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for (position, f) in report.findings.iter().enumerate() {
                insert.execute(params![
                    scan_id,
                    position as i64,
                    f.rule.id(),
                    f.severity.as_str(),
                    f.fingerprint,
                    f.key.as_ref().map(|k| k.storage.as_str()),
                    f.key.as_ref().map(|k| k.name.as_str()),
                    f.key.as_ref().map(|k| k.location.as_str()),
                    f.step.map(|s| s.as_str()),
                    f.message,
                    serde_json::to_string(&f.evidence)?,
                    f.policy_line.map(|l| l as i64),
                    f.gating,
                    f.in_baseline,
                ])?;
            }
        }
        tx.commit()
            .with_context(|| format!("cannot write to the store {}", self.path.display()))?;
        Ok(scan_id)
    }

    /// The sites the store holds scans of, with how many and the latest start time.
    pub fn sites(&self) -> anyhow::Result<Vec<SiteSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT site, COUNT(*), MAX(started_at) FROM scans GROUP BY site ORDER BY site",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SiteSummary {
                site: r.get(0)?,
                scans: r.get::<_, i64>(1)? as usize,
                last_started_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The site a user's `SITE` argument names: a URL (by the site rule) or a bare host (any
    /// scheme). Errors say which sites the store holds when none or several match.
    pub fn resolve_site(&self, input: &str) -> anyhow::Result<String> {
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
            [] if sites.is_empty() => Err(StoreError(format!(
                "the store {} holds no scans yet",
                self.path.display()
            ))
            .into()),
            [] => Err(StoreError(format!(
                "no scans of `{input}` in {}; it holds: {}",
                self.path.display(),
                describe_sites(&sites)
            ))
            .into()),
            several => Err(StoreError(format!(
                "`{input}` matches several sites in {}: {}; give one as a URL",
                self.path.display(),
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
    pub fn history(&self, site: &str, limit: usize) -> anyhow::Result<History> {
        self.history_since(site, limit, None)
    }

    /// As [`Store::history`], only scans started at or after `since` (a [`timestamp_key`]).
    /// A scan is compared with the latest earlier complete (not aborted) scan of the same site
    /// with the same consent answer, even when that one is older than `since` or past the limit.
    pub fn history_since(
        &self,
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
    fn scans_of(&self, site: &str) -> anyhow::Result<Vec<ScanSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, site, url, started_at, duration_ms, tool_version, catalog_version,
                browser_version, consent_action, key_count, finding_count, gating_count,
                aborted_step, aborted_reason
             FROM scans WHERE site = ?1 ORDER BY started_at, id",
        )?;
        let rows = stmt.query_map([site], |r| {
            let aborted_step: Option<String> = r.get(12)?;
            let aborted_reason: Option<String> = r.get(13)?;
            Ok(ScanSummary {
                id: r.get(0)?,
                site: r.get(1)?,
                url: r.get(2)?,
                started_at: r.get(3)?,
                duration_ms: r.get(4)?,
                tool_version: r.get(5)?,
                catalog_version: r.get(6)?,
                browser_version: r.get(7)?,
                consent: r.get(8)?,
                keys: r.get(9)?,
                findings: r.get(10)?,
                gating_findings: r.get(11)?,
                aborted: aborted_step.map(|step| Aborted {
                    step,
                    reason: aborted_reason.unwrap_or_default(),
                }),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The keys and findings of one scan, as the comparison needs them.
    fn contents(&self, scan_id: i64) -> anyhow::Result<ScanContents> {
        let mut stmt = self.conn.prepare(
            "SELECT storage, name, place, vendor, catalog_key, category, party, first_step,
                expiry_class, http_only, secure, same_site, partition_key IS NOT NULL, value_sha256
             FROM observations WHERE scan_id = ?1 ORDER BY position",
        )?;
        let keys = stmt
            .query_map([scan_id], |r| {
                let storage: String = r.get(0)?;
                Ok(KeyState {
                    partitioned: (storage == "cookie").then_some(r.get(12)?),
                    storage,
                    name: r.get(1)?,
                    place: r.get(2)?,
                    vendor: r.get(3)?,
                    catalog_key: r.get(4)?,
                    category: r.get(5)?,
                    party: r.get(6)?,
                    first_step: r.get(7)?,
                    expiry_class: r.get(8)?,
                    http_only: r.get(9)?,
                    secure: r.get(10)?,
                    same_site: r.get(11)?,
                    value_sha256: r.get(13)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT fingerprint, rule, severity, message, name, gating
             FROM findings WHERE scan_id = ?1 ORDER BY position",
        )?;
        let findings = stmt
            .query_map([scan_id], |r| {
                Ok(FindingBrief {
                    fingerprint: r.get(0)?,
                    rule: r.get(1)?,
                    severity: r.get(2)?,
                    message: r.get(3)?,
                    key_name: r.get(4)?,
                    gating: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(ScanContents { keys, findings })
    }
}

/// Whether SQLite answered "busy" (or "locked"): another connection holds the lock.
fn is_busy(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
        matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    })
}

/// What a file holds, schema-wise.
#[derive(Debug, PartialEq, Eq)]
enum SchemaState {
    /// A new or empty SQLite file: the schema can be created.
    Empty,
    /// A chatcookie store of this schema version.
    Current,
}

/// Reads the file's application id and schema version; refuses what is not a usable store.
fn schema_state(conn: &Connection, path: &Path) -> Result<SchemaState, StoreError> {
    let not_sqlite = |e: rusqlite::Error| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
            StoreError(format!(
                "{} is not an SQLite file, so not a chatcookie store; give a new file name \
                 (it is created) or a store written by `scan --store`",
                path.display()
            ))
        } else {
            StoreError(format!("cannot read the store {}: {e}", path.display()))
        }
    };
    // One statement, so one read snapshot: another process may be creating the schema right now.
    let (app_id, version, tables): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT COUNT(*) FROM sqlite_master)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(not_sqlite)?;
    if app_id == 0 && version == 0 && tables == 0 {
        return Ok(SchemaState::Empty);
    }
    if app_id != APPLICATION_ID {
        return Err(StoreError(format!(
            "{} is an SQLite database of another program, not a chatcookie store; give a new \
             file name (it is created) or a store written by `scan --store`",
            path.display()
        )));
    }
    match version {
        SCHEMA_VERSION => Ok(SchemaState::Current),
        v if v > SCHEMA_VERSION => Err(StoreError(format!(
            "{} was written by a newer chatcookie (store schema {v}; this one knows schema \
             {SCHEMA_VERSION}): upgrade chatcookie to use it",
            path.display()
        ))),
        v => Err(StoreError(format!(
            "{} has an unknown store schema version {v}",
            path.display()
        ))),
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

#[cfg(test)]
mod tests;
