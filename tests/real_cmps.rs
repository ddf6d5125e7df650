//! Integration tests against real consent-manager code from npm: the open-source CMPs the rules
//! in catalog/cmps.toml claim (vanilla-cookieconsent 2.x and 3.x, klaro, Osano's cookieconsent,
//! tarteaucitron), each set up in two configurations taken from its own documentation
//! (`fixtures/npm/<cmp>-<config>/`, see its README), answered by `--consent accept` and
//! `--consent reject` with no selector given.
//!
//! The packages are pinned in `tests/npm/` and installed at test time with `npm ci` into a cache
//! directory keyed by the lock file (`tests/common/npm.rs`); nothing third-party is committed.
//! Each fixture is assembled into a temporary site: its own files, the packages it names
//! symlinked under `vendor/`, and the tawk.to imitation of `fixtures/sites/tawkto-shop` under
//! `_hosts/embed.tawk.to/`. The real `chatcookie` binary scans all of them (load, consent,
//! chat_open), one run per answer, the two runs side by side.
//!
//! Per fixture and answer it asserts: the CMP detected is the expected rule and its banner was
//! answered (the consent step is done); after accept, the chat keys the released widget writes
//! are there, first seen at the consent step (the token at chat_open), and no other vendor key;
//! after reject, no chat key at all; and the CMP's own record (its cookie, parsed) holds the
//! answer that was asked for.

#[path = "common/npm.rs"]
mod npm;

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's expected.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    description: String,
    /// The documentation the configuration follows.
    docs: String,
    /// The rule id the scan must detect and answer through.
    cmp: String,
    /// npm packages (names in tests/npm/package.json) served under /vendor/<name>/.
    packages: Vec<String>,
    /// The chat keys after accept, with the step each first shows at.
    chat: Vec<Key>,
    record: Record,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Key {
    step: String,
    storage: String,
    name: String,
}

/// The CMP's own record of the answer: a first-party cookie, and what it must grant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    cookie: String,
    /// How to read the granted categories or services from the value: see [`granted`].
    format: String,
    accept: Vec<String>,
    reject: Vec<String>,
}

struct Fixture {
    name: String,
    exp: Expected,
}

/// Every `fixtures/npm/*/expected.toml` that describes a consent manager (other tests keep
/// their own fixtures there too).
fn fixtures() -> Vec<Fixture> {
    let dir = root().join("fixtures/npm");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.join("expected.toml");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let value: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if !value.contains_key("cmp") {
            continue;
        }
        let exp: Expected =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push(Fixture { name, exp });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Copies `from` into `to` (recursively), leaving out expected.toml and READMEs.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if matches!(name.to_str(), Some("expected.toml" | "README.md")) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The site chatcookie serves as `www.<fixture>.test`: the fixture's files, its packages under
/// `vendor/` and the chat widget under `_hosts/` (symlinks: the server follows them).
fn assemble(fx: &Fixture, node_modules: &Path, sites: &Path) -> PathBuf {
    let site = sites.join(&fx.name);
    copy_tree(&root().join("fixtures/npm").join(&fx.name), &site);
    std::fs::create_dir_all(site.join("vendor")).unwrap();
    for pkg in &fx.exp.packages {
        let installed = node_modules.join(pkg);
        assert!(
            installed.join("package.json").is_file(),
            "{}: package {pkg} is not in tests/npm/package.json ({} missing)",
            fx.name,
            installed.display()
        );
        std::os::unix::fs::symlink(&installed, site.join("vendor").join(pkg)).unwrap();
    }
    std::fs::create_dir_all(site.join("_hosts")).unwrap();
    std::os::unix::fs::symlink(
        root().join("fixtures/sites/tawkto-shop/_hosts/embed.tawk.to"),
        site.join("_hosts/embed.tawk.to"),
    )
    .unwrap();
    site
}

/// One `chatcookie scan` over `sites` with one answer, `jobs` pages at a time: the JSON report per
/// fixture name, the exit status and standard error, and the time it took.
fn scan_all(
    sites: &[PathBuf],
    answer: &str,
    jobs: usize,
) -> (BTreeMap<String, Value>, String, Duration) {
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_chatcookie"))
        .arg("scan")
        .args(sites)
        .args(["--consent", answer])
        .args(["--steps", "load,consent,chat_open"])
        // After reject there is no widget: do not wait the default 3 s for one to open.
        .args(["--widget-timeout", "1s"])
        .args(["--format", "jsonl", "--show-values"])
        .args(["--jobs", &jobs.to_string()])
        .output()
        .expect("run chatcookie");
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut reports = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let report: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("--consent {answer}: a JSONL line that is not JSON ({e}): {line}\n{stderr}")
        });
        let url = report["provenance"]["url"].as_str().unwrap_or_default();
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let name = host
            .strip_prefix("www.")
            .and_then(|h| h.strip_suffix(".test"))
            .unwrap_or(&host)
            .to_string();
        reports.insert(name, report);
    }
    let status = format!("exit {:?}; {}", out.status.code(), stderr.trim());
    (reports, status, took)
}

/// The categories or services a CMP's record grants, read from its cookie value.
fn granted(format: &str, value: &str) -> Result<BTreeSet<String>, String> {
    let decoded = percent_decode(value);
    let json = || -> Result<Value, String> {
        serde_json::from_str(&decoded).map_err(|e| format!("not JSON ({e}): {decoded}"))
    };
    let strings = |v: &Value| -> Result<BTreeSet<String>, String> {
        v.as_array()
            .ok_or_else(|| format!("no list in {decoded}"))?
            .iter()
            .map(|s| s.as_str().map(str::to_string).ok_or("not a string".into()))
            .collect()
    };
    match format {
        // vanilla-cookieconsent 2.x: {"level": ["necessary", ...], ...}
        "cookieconsent-v2" => strings(&json()?["level"]),
        // vanilla-cookieconsent 3.x: {"categories": ["necessary", ...], ...}
        "cookieconsent-v3" => strings(&json()?["categories"]),
        // klaro: {"service": true|false, ...}
        "klaro" => Ok(json()?
            .as_object()
            .ok_or_else(|| format!("not an object: {decoded}"))?
            .iter()
            .filter(|(_, on)| on.as_bool() == Some(true))
            .map(|(k, _)| k.clone())
            .collect()),
        // Osano cookieconsent: allow, deny or dismiss.
        "osano-cookieconsent" => Ok(BTreeSet::from([decoded.clone()])),
        // tarteaucitron: !service=true!other=false (wait while unanswered).
        "tarteaucitron" => Ok(decoded
            .split('!')
            .filter_map(|s| s.split_once('='))
            .filter(|(_, v)| *v == "true")
            .map(|(k, _)| k.to_string())
            .collect()),
        other => Err(format!("unknown record format {other}")),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a site's scan says nothing about its consent manager: no report, or a step the browser
/// could not serve (a CDP call that got no answer). None when the scan ran.
fn browser_trouble(report: Option<&Value>) -> Option<String> {
    let Some(r) = report else {
        return Some("no report".into());
    };
    if !r["aborted"].is_null() {
        return Some(format!("aborted: {}", r["aborted"]));
    }
    r["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["detail"].as_str())
        .find(|d| d.starts_with("not run:") || d.contains("not responding"))
        .map(str::to_string)
}

/// What is wrong with one fixture's scan for one answer (empty: nothing), and a one-line summary.
fn check(fx: &Fixture, answer: &str, report: Option<&Value>) -> (Vec<String>, String) {
    let mut wrong = Vec::new();
    let Some(r) = report else {
        return (
            vec!["no report (the site did not complete)".into()],
            "-".into(),
        );
    };
    let exp = &fx.exp;
    let consent = r["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == "consent");
    let Some(consent) = consent else {
        return (vec![format!("no consent step: {}", r["steps"])], "-".into());
    };
    let record = &consent["consent"];
    let detail = consent["detail"].as_str().unwrap_or_default();
    if consent["status"] != "done" {
        wrong.push(format!(
            "the consent step is {}: {detail}",
            consent["status"]
        ));
    }
    if record["cmp"] != exp.cmp.as_str() {
        wrong.push(format!(
            "answered through {} (detected {}), not {}",
            record["cmp"], record["detected"], exp.cmp
        ));
    }
    if record["done"] != true {
        wrong.push(format!("the answer did not take: {}", record["outcome"]));
    }
    // Where the rule reads the CMP's record itself, it must have read the answer asked for.
    if let Some(recorded) = record["recorded"].as_str()
        && recorded != answer
    {
        wrong.push(format!(
            "the consent step read the CMP's record as {recorded}"
        ));
    }

    let observations: Vec<&Value> = r["observations"].as_array().into_iter().flatten().collect();
    // Chat keys: every observation the catalog attributes to a chat vendor.
    let chat: BTreeSet<Key> = observations
        .iter()
        .filter(|o| o["attribution"]["kind"] == "known")
        .map(|o| Key {
            step: o["first_step"].as_str().unwrap_or_default().into(),
            storage: o["storage"].as_str().unwrap_or_default().into(),
            name: o["name"].as_str().unwrap_or_default().into(),
        })
        .collect();
    let want: BTreeSet<Key> = if answer == "accept" {
        exp.chat.iter().cloned().collect()
    } else {
        BTreeSet::new()
    };
    if chat != want {
        let show = |s: &BTreeSet<Key>| {
            s.iter()
                .map(|k| format!("{} {} @{}", k.storage, k.name, k.step))
                .collect::<Vec<_>>()
                .join(", ")
        };
        wrong.push(format!(
            "chat keys: missing [{}], unexpected [{}]",
            show(&want.difference(&chat).cloned().collect()),
            show(&chat.difference(&want).cloned().collect())
        ));
    }

    // The CMP's record: present after the consent step, holding the answer asked for.
    let cookie = observations
        .iter()
        .find(|o| o["storage"] == "cookie" && o["name"] == exp.record.cookie.as_str());
    let mut recorded = String::from("no record");
    match cookie {
        None => wrong.push(format!("no {} cookie", exp.record.cookie)),
        Some(o) => {
            let value = o["value"]["value"].as_str().unwrap_or_default();
            recorded = percent_decode(value);
            let want: BTreeSet<String> = if answer == "accept" {
                exp.record.accept.iter().cloned().collect()
            } else {
                exp.record.reject.iter().cloned().collect()
            };
            match granted(&exp.record.format, value) {
                Ok(got) if got == want => {}
                Ok(got) => wrong.push(format!(
                    "{} grants {got:?}, not {want:?} ({recorded})",
                    exp.record.cookie
                )),
                Err(e) => wrong.push(format!("{}: {e}", exp.record.cookie)),
            }
            // The CMP's own record is the CMP's, strictly necessary: never unknown, and never
            // `before-consent`, whatever the answer.
            let attribution = &o["attribution"];
            if attribution["kind"] != "consent-manager"
                || attribution["cmp"] != exp.cmp.as_str()
                || attribution["confidence"] != "certain"
            {
                wrong.push(format!(
                    "{} is attributed {attribution}, not to the consent manager {}",
                    exp.record.cookie, exp.cmp
                ));
            }
            let judged: Vec<&Value> = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| {
                    f["key"]["name"] == exp.record.cookie.as_str()
                        && (f["rule"] == "before-consent" || f["rule"] == "unknown")
                })
                .collect();
            if !judged.is_empty() {
                wrong.push(format!(
                    "{} is judged as not strictly necessary: {judged:?}",
                    exp.record.cookie
                ));
            }
            // Written, or changed to the answer, at the consent step, not before.
            let first = o["first_step"].as_str().unwrap_or_default();
            let changed_at_consent = o["changes"].as_array().into_iter().flatten().any(|c| {
                c["step"] == "consent"
                    && c["what"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|w| w == "value")
            });
            if first != "consent" && !changed_at_consent {
                wrong.push(format!(
                    "{} was first seen at {first} and did not change at the consent step",
                    exp.record.cookie
                ));
            }
        }
    }
    let element = record["element"].as_str().unwrap_or("nothing");
    let element = element.split(" in the top frame").next().unwrap_or(element);
    let summary = format!(
        "{} {:>5} ms, {}: {element}; record {}",
        record["rule"].as_str().unwrap_or("no rule"),
        consent["duration_ms"],
        if wrong.is_empty() { "ok" } else { "FAILED" },
        recorded.chars().take(70).collect::<String>()
    );
    (wrong, summary)
}

#[test]
fn real_consent_managers_from_npm_are_answered_and_release_the_chat_only_on_accept() {
    let t0 = Instant::now();
    let node_modules = npm::node_modules("npm");
    let installed = t0.elapsed();
    let fixtures = fixtures();
    // Every CMP the rules claim for these packages, in at least two configurations.
    let mut per_cmp: BTreeMap<&str, usize> = BTreeMap::new();
    for fx in &fixtures {
        *per_cmp.entry(fx.exp.cmp.as_str()).or_default() += 1;
        assert!(!fx.exp.description.is_empty() && !fx.exp.docs.is_empty());
    }
    for cmp in [
        "cookieconsent-v2",
        "cookieconsent-v3",
        "klaro",
        "osano-cookieconsent",
        "tarteaucitron",
    ] {
        assert!(
            per_cmp.get(cmp).copied().unwrap_or(0) >= 2,
            "fewer than two fixtures/npm configurations for {cmp}: {per_cmp:?}"
        );
    }

    let sites_dir = tempfile::tempdir().unwrap();
    let sites: Vec<PathBuf> = fixtures
        .iter()
        .map(|fx| assemble(fx, &node_modules, sites_dir.path()))
        .collect();
    // Both answers at once, three pages at a time each: as much as two cores settle reliably.
    let (mut accepted, mut rejected) = std::thread::scope(|s| {
        let accept = s.spawn(|| scan_all(&sites, "accept", 3));
        let reject = s.spawn(|| scan_all(&sites, "reject", 3));
        (accept.join().unwrap(), reject.join().unwrap())
    });
    // A site the browser could not serve in time (a starved machine: a CDP call unanswered) says
    // nothing about the rules: scan it once more, alone. The table shows which were.
    let mut rescanned = Vec::new();
    for (answer, run) in [("accept", &mut accepted), ("reject", &mut rejected)] {
        let again: Vec<(usize, String)> = fixtures
            .iter()
            .enumerate()
            .filter_map(|(i, fx)| browser_trouble(run.0.get(&fx.name)).map(|why| (i, why)))
            .collect();
        if again.is_empty() {
            continue;
        }
        let retry: Vec<PathBuf> = again.iter().map(|(i, _)| sites[*i].clone()).collect();
        let (reports, _, took) = scan_all(&retry, answer, 1);
        run.2 += took;
        for (i, why) in again {
            let name = &fixtures[i].name;
            rescanned.push(format!("{name} ({answer}): {why}"));
            match reports.get(name) {
                Some(r) => run.0.insert(name.clone(), r.clone()),
                None => run.0.remove(name),
            };
        }
    }

    let mut failures = Vec::new();
    let mut table = Vec::new();
    for fx in &fixtures {
        for (answer, (reports, _, _)) in [("accept", &accepted), ("reject", &rejected)] {
            let report = reports.get(&fx.name);
            let (wrong, summary) = check(fx, answer, report);
            table.push(format!("{:<28} {answer:<6} {summary}", fx.name));
            if !wrong.is_empty() {
                let consent = report
                    .and_then(|r| r["steps"].as_array())
                    .and_then(|s| s.iter().find(|s| s["step"] == "consent"))
                    .map(|s| serde_json::to_string_pretty(&s["consent"]).unwrap())
                    .unwrap_or_default();
                failures.push(format!(
                    "{} ({answer}): {}\n  {}\n  consent record: {consent}",
                    fx.name,
                    fx.exp.description,
                    wrong.join("\n  ")
                ));
            }
        }
    }
    eprintln!(
        "real CMPs from npm: install {:.1} s, scans {:.1} s (accept) and {:.1} s (reject), {:.1} s in all\n{}{}",
        installed.as_secs_f64(),
        accepted.2.as_secs_f64(),
        rejected.2.as_secs_f64(),
        t0.elapsed().as_secs_f64(),
        table.join("\n"),
        if rescanned.is_empty() {
            String::new()
        } else {
            format!("\nrescanned alone: {}", rescanned.join("; "))
        }
    );
    assert!(
        failures.is_empty(),
        "{} of {} scans went wrong (accept run: {}; reject run: {}):\n\n{}",
        failures.len(),
        fixtures.len() * 2,
        accepted.1,
        rejected.1,
        failures.join("\n\n")
    );
}

#[test]
fn cmp_records_are_read_as_each_library_writes_them() {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        granted(
            "cookieconsent-v2",
            r#"{"categories":["necessary"],"level":["necessary","chat"],"revision":0}"#
        )
        .unwrap(),
        set(&["chat", "necessary"])
    );
    assert_eq!(
        granted(
            "cookieconsent-v3",
            "%7B%22categories%22%3A%5B%22necessary%22%5D%2C%22revision%22%3A0%7D"
        )
        .unwrap(),
        set(&["necessary"])
    );
    assert_eq!(
        granted("klaro", "%7B%22tawkto%22%3Atrue%2C%22ga%22%3Afalse%7D").unwrap(),
        set(&["tawkto"])
    );
    assert_eq!(
        granted("osano-cookieconsent", "deny").unwrap(),
        set(&["deny"])
    );
    assert_eq!(
        granted("tarteaucitron", "!tawktochat=true!gtag=false").unwrap(),
        set(&["tawktochat"])
    );
    assert_eq!(
        granted("tarteaucitron", "!tawktochat=wait").unwrap(),
        set(&[])
    );
    assert!(granted("cookieconsent-v3", "not json").is_err());
}
