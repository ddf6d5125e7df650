//! The store's schema: its tables in SQL, its version, the upgrades from older ones, and what a database holds schema-wise.

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
pub(super) fn upgrade_from(from: i64) -> String {
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
pub(super) const SCHEMA: &str = "
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
pub(super) enum SchemaState {
    /// A new or empty database: the schema can be created.
    Empty,
    /// A chatcookie store of this schema version.
    Current,
    /// A chatcookie store of an older schema version: readable, upgraded before it is written.
    Older(i64),
}
