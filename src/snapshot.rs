//! Snapshots: every cookie the browser holds and the web storage of every frame, at one moment.

use crate::browser::cdp::{CdpError, Page};
use crate::browser::watch::FrameInfo;
use crate::vocab::{Step, StorageKind};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// A cookie with every attribute the browser reports.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CookieRecord {
    pub name: String,
    #[serde(skip)]
    pub value: String,
    pub domain: String,
    pub path: String,
    /// Expiry as Unix seconds; `None` for a session cookie.
    pub expires: Option<f64>,
    pub size: u64,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: Option<String>,
    /// The top-level site of a partitioned (CHIPS) cookie.
    pub partition_key: Option<String>,
}

/// One localStorage or sessionStorage item of one storage partition.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StorageRecord {
    pub kind: StorageKind,
    pub name: String,
    #[serde(skip)]
    pub value: String,
    /// The origin the item belongs to.
    pub origin: String,
    /// Chromium's storage key: the origin, plus the top-level site when partitioned.
    pub storage_key: String,
    /// The URL of (one of) the frame(s) using this storage.
    pub frame_url: String,
    /// True when it belongs to the top-level page's own frame.
    pub top_frame: bool,
}

/// Everything stored at one step.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub step: Step,
    /// The journey's page it was taken on (see `StepRecord::page`).
    #[serde(default)]
    pub page: String,
    /// When it was taken, as Unix seconds (cookie lifetimes are measured from here).
    pub taken_at: f64,
    pub page_url: String,
    pub cookies: Vec<CookieRecord>,
    pub storage: Vec<StorageRecord>,
    pub frames: Vec<FrameInfo>,
    /// Parts that could not be read (a hung renderer, a frame gone mid-read).
    pub errors: Vec<String>,
    /// The storage partitions read (storage keys): web storage of any other partition was out
    /// of sight, not gone (a journey's page without the frame that uses it). Empty in
    /// snapshots of older versions: every partition counts as read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
}

impl Snapshot {
    /// Whether the web storage of `storage_key` was read in this snapshot.
    pub fn saw_partition(&self, storage_key: &str) -> bool {
        self.partitions.is_empty() || self.partitions.iter().any(|k| k == storage_key)
    }
}

/// How many CDP calls a snapshot keeps in flight at once.
const PARALLEL_READS: usize = 8;

/// Reads every cookie of the browser context (`Storage.getCookies`; browser-side, so a hung renderer cannot block it).
pub fn read_cookies(page: &Page, timeout: Duration) -> Result<Vec<CookieRecord>, CdpError> {
    let params = match &page.context_id {
        Some(id) => json!({ "browserContextId": id }),
        None => json!({}),
    };
    // A browser-level call: the renderer is not involved.
    let reply = page
        .cdp
        .call_raw(None, "Storage.getCookies", params, timeout)?;
    Ok(reply
        .get("cookies")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(cookie_from_json).collect())
        .unwrap_or_default())
}

fn cookie_from_json(c: &Value) -> CookieRecord {
    let s = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let b = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let session = b("session")
        || c.get("expires")
            .and_then(Value::as_f64)
            .is_none_or(|e| e < 0.0);
    // Older protocol versions give the partition key as a string, newer ones as an object.
    let partition_key = match c.get("partitionKey") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o
            .get("topLevelSite")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    CookieRecord {
        name: s("name"),
        value: s("value"),
        domain: s("domain"),
        path: s("path"),
        expires: if session {
            None
        } else {
            c.get("expires").and_then(Value::as_f64)
        },
        size: c.get("size").and_then(Value::as_u64).unwrap_or(0),
        http_only: b("httpOnly"),
        secure: b("secure"),
        same_site: c
            .get("sameSite")
            .and_then(Value::as_str)
            .map(str::to_string),
        partition_key,
    }
}

/// Each frame's storage partition (`Storage.getStorageKeyForFrame`), by frame id, its origin
/// and the top frame's origin: a frame keeps its partition until one of them changes, so a
/// scan asks once per frame, not once per snapshot.
#[derive(Debug, Default)]
pub struct StorageKeys(BTreeMap<(String, String, String), String>);

/// What a storage read found: the items, what could not be read, and the partitions read.
pub struct StorageRead {
    pub records: Vec<StorageRecord>,
    pub errors: Vec<String>,
    pub partitions: Vec<String>,
}

/// Reads localStorage and sessionStorage of every frame, one read per storage partition.
pub fn read_storage(
    page: &Page,
    frames: &[FrameInfo],
    main_frame: Option<&str>,
    known: &mut StorageKeys,
    timeout: Duration,
) -> StorageRead {
    let mut errors = Vec::new();
    let top_origin = frames
        .iter()
        .find(|f| Some(f.id.as_str()) == main_frame)
        .map(|f| f.origin.clone())
        .unwrap_or_default();
    // Frames without a real origin (about:blank, data:) share their parent's storage or have none.
    let frames: Vec<&FrameInfo> = frames
        .iter()
        .filter(|f| f.origin.starts_with("http://") || f.origin.starts_with("https://"))
        .collect();
    let keys = known.of_frames(page, &frames, &top_origin, timeout);
    // One read per distinct storage key; the first frame seen names it.
    let mut partitions: BTreeMap<String, &FrameInfo> = BTreeMap::new();
    for (f, k) in frames.iter().zip(keys) {
        match k {
            Ok(k) if !k.is_empty() => {
                let entry = partitions.entry(k).or_insert(f);
                if Some(f.id.as_str()) == main_frame {
                    *entry = f;
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(format!("storage key of frame {}: {e}", f.url)),
        }
    }
    let jobs: Vec<(&String, &FrameInfo, StorageKind)> = partitions
        .iter()
        .flat_map(|(k, f)| {
            [StorageKind::LocalStorage, StorageKind::SessionStorage].map(|kind| (k, *f, kind))
        })
        .collect();
    let results = parallel(&jobs, |(key, _, kind)| {
        let params = json!({ "storageId": {
            "storageKey": key,
            "isLocalStorage": *kind == StorageKind::LocalStorage,
        }});
        page.call("DOMStorage.getDOMStorageItems", params, timeout)
    });
    let mut records = Vec::new();
    let mut read = BTreeMap::new();
    for ((key, frame, kind), result) in jobs.iter().zip(results) {
        match result {
            Ok(v) => {
                *read.entry((*key).clone()).or_insert(0) += 1;
                let top_frame = Some(frame.id.as_str()) == main_frame;
                records.extend(items_of(&v, *kind, key, frame, top_frame));
            }
            Err(e) => errors.push(format!("{kind} of {}: {e}", frame.origin)),
        }
    }
    StorageRead {
        records,
        errors,
        // Both kinds read: a partition half read is not known to be complete.
        partitions: read
            .into_iter()
            .filter(|(_, n)| *n == 2)
            .map(|(k, _)| k)
            .collect(),
    }
}

impl StorageKeys {
    /// The storage key of each frame (empty when it has none), asked of the frames whose
    /// partition is not known yet (all at once) and remembered for the next snapshot.
    fn of_frames(
        &mut self,
        page: &Page,
        frames: &[&FrameInfo],
        top_origin: &str,
        timeout: Duration,
    ) -> Vec<Result<String, CdpError>> {
        let cache_key = |f: &FrameInfo| (f.id.clone(), f.origin.clone(), top_origin.to_string());
        let unknown: Vec<&FrameInfo> = frames
            .iter()
            .copied()
            .filter(|f| !self.0.contains_key(&cache_key(f)))
            .collect();
        let asked: Vec<Result<String, CdpError>> = parallel(&unknown, |f| {
            page.call(
                "Storage.getStorageKeyForFrame",
                json!({ "frameId": f.id }),
                timeout,
            )
            .map(|v| {
                v.get("storageKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
        });
        for (f, k) in unknown.iter().zip(&asked) {
            if let Ok(k) = k
                && !k.is_empty()
            {
                self.0.insert(cache_key(f), k.clone());
            }
        }
        let mut asked = unknown.iter().map(|f| f.id.as_str()).zip(asked);
        frames
            .iter()
            .map(|f| match self.0.get(&cache_key(f)) {
                Some(k) => Ok(k.clone()),
                None => asked
                    .find(|(id, _)| *id == f.id)
                    .map_or(Ok(String::new()), |(_, k)| k),
            })
            .collect()
    }
}

/// The items of one `DOMStorage.getDOMStorageItems` answer, as records of `frame`'s partition
/// `key`.
fn items_of(
    answer: &Value,
    kind: StorageKind,
    key: &str,
    frame: &FrameInfo,
    top_frame: bool,
) -> Vec<StorageRecord> {
    answer
        .get("entries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| {
            let pair = item.as_array();
            let get = |i: usize| {
                pair.and_then(|p| p.get(i))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            StorageRecord {
                kind,
                name: get(0),
                value: get(1),
                origin: frame.origin.clone(),
                storage_key: key.to_string(),
                frame_url: frame.url.clone(),
                top_frame,
            }
        })
        .collect()
}

/// Runs `f` over `items` with a bounded number of calls in flight, keeping order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(PARALLEL_READS) {
        let results: Vec<R> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk.iter().map(|item| s.spawn(|| f(item))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("snapshot read panicked"))
                .collect()
        });
        out.extend(results);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_leniently() {
        let c = cookie_from_json(&json!({
            "name": "a", "value": "v", "domain": ".x.test", "path": "/", "expires": -1,
            "size": 2, "httpOnly": true, "secure": false, "session": true, "sameSite": "Lax",
            "partitionKey": { "topLevelSite": "http://x.test", "hasCrossSiteAncestor": false },
            "someFutureField": 1
        }));
        assert_eq!(c.expires, None);
        assert!(c.http_only);
        assert_eq!(c.partition_key.as_deref(), Some("http://x.test"));
        let c = cookie_from_json(&json!({"name": "b", "expires": 1.9e9, "session": false}));
        assert_eq!(c.expires, Some(1.9e9));
    }
}
