//! What a run scans: URLs and site directories, duplicates dropped, a `--shard` share taken.

use crate::error::{Error, Result};
use crate::serve::{SiteFiles, host_for_dir};
use std::path::Path;

/// What is scanned: a URL, or site files (a directory, a demo site) served on loopback.
pub enum Target {
    Url(String),
    Served { files: SiteFiles, host: String },
}

impl Target {
    /// A directory if one exists at `target`, else an http(s) URL; `host` names a directory's
    /// site (default: from the directory's name).
    pub fn parse(target: &str, host: Option<&str>) -> Result<Target> {
        let path = Path::new(target);
        if path.is_dir() {
            let host = host.map_or_else(|| host_for_dir(path), str::to_string);
            return Ok(Target::Served {
                files: SiteFiles::Disk(path.to_path_buf()),
                host,
            });
        }
        Ok(Target::Url(check_url(target)?))
    }

    /// Host names the browser must resolve to loopback for this target.
    pub fn hosts(&self) -> Vec<String> {
        match self {
            Target::Url(_) => Vec::new(),
            Target::Served { files, host } => {
                let mut hosts = files.virtual_hosts();
                hosts.push(host.clone());
                hosts
            }
        }
    }

    /// What identifies the target in a list: its URL, or its directory.
    pub fn key(&self) -> String {
        match self {
            Target::Url(url) => url.clone(),
            Target::Served { files, host } => format!("{}@{host}", files.describe()),
        }
    }
}

/// A `--shard` value that is not `K/N` with 1 <= K <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidShard(String);

/// Share K of N of a target list (`--shard K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(s: &str) -> std::result::Result<Shard, InvalidShard> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| InvalidShard(format!("`{s}`: expected K/N, e.g. 2/4")))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| InvalidShard(format!("`{s}`: K is not a number")))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| InvalidShard(format!("`{s}`: N is not a number")))?;
        if n == 0 || k == 0 || k > n {
            return Err(InvalidShard(format!("`{s}`: need 1 <= K <= N")));
        }
        Ok(Shard { index: k, count: n })
    }

    /// Keeps the items of this share, in their order: round robin, so shares differ by at most one.
    pub fn select<T>(self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.count == self.index - 1)
            .map(|(_, t)| t)
            .collect()
    }
}

/// The targets to scan here: duplicates dropped (first one kept), then the shard's share taken;
/// with a note for each of the two, for the user.
pub fn distinct_share(targets: Vec<Target>, shard: Option<Shard>) -> (Vec<Target>, Vec<String>) {
    let mut notes = Vec::new();
    let listed = targets.len();
    let mut seen = std::collections::HashSet::new();
    let mut targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| seen.insert(t.key()))
        .collect();
    if targets.len() < listed {
        notes.push(format!(
            "{} duplicate target(s) skipped",
            listed - targets.len()
        ));
    }
    if let Some(shard) = shard {
        let all = targets.len();
        targets = shard.select(targets);
        notes.push(format!(
            "shard {}/{}: {} of {all} target(s)",
            shard.index,
            shard.count,
            targets.len()
        ));
    }
    (targets, notes)
}

/// Accepts http(s) URLs only, with a hint for the common slips.
fn check_url(target: &str) -> Result<String> {
    match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        Ok(u) => Err(Error::usage(format!(
            "`{target}`: only http and https URLs can be scanned (got scheme `{}`)",
            u.scheme()
        ))),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err(Error::usage(format!(
            "`{target}` is neither a directory nor a URL; did you mean https://{target}/ ?"
        ))),
        Err(e) => Err(Error::usage(format!("`{target}` is not a valid URL: {e}"))),
    }
}
