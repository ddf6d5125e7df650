//! A visitor's journey in the real Chromium: a site's other pages (`--pages`, `--page`), the
//! return visit (`revisit`), and the options that make no journey.
//!
//! The sites are `fixtures/sites/journey-*`; their expected.toml says, per journey, the pages in
//! order, the links left out and why, and each key with the page and step where it first shows.
//! Each journey is scanned twice: the same pages in the same order, the same keys at the same
//! pages and steps.

use crate::common::{chatcookie, site_dir, text};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Deserialize)]
struct Site {
    #[serde(default)]
    journey: Vec<Journey>,
    #[serde(default)]
    revisit: Vec<Revisited>,
}

#[derive(Debug, Deserialize)]
struct Journey {
    start: String,
    args: Vec<String>,
    order: Vec<String>,
    #[serde(default)]
    consent_page: Option<String>,
    #[serde(default)]
    chat_open_page: Option<String>,
    #[serde(default)]
    skipped: Vec<Skipped>,
    #[serde(default)]
    accept: Vec<PageKey>,
    #[serde(default)]
    reject: Vec<PageKey>,
}

#[derive(Debug, Deserialize)]
struct Skipped {
    page: String,
    href: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct PageKey {
    page: String,
    step: String,
    name: String,
    storage: String,
}

#[derive(Debug, Deserialize)]
struct Revisited {
    name: String,
    storage: String,
    after: String,
}

fn site(name: &str) -> Site {
    let file = site_dir(name).join("expected.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Scans `site` with `args` (JSON report); panics with the output unless it ran.
fn scan(site: &str, args: &[&str]) -> Value {
    let dir = site_dir(site);
    let mut all = vec!["scan", dir.to_str().unwrap(), "--format", "json"];
    all.extend_from_slice(args);
    let out = chatcookie(&all);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{site} {args:?}: {}",
        text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

/// A page's address without scheme, host and port: how expected.toml names pages.
fn path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.fragment() {
            Some(f) => format!("{}#{f}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

fn visited(r: &Value) -> Vec<String> {
    r["pages"]["visited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| path(p["url"].as_str().unwrap()))
        .collect()
}

/// Every key as (page, step, storage, name) where it first shows.
fn keys(r: &Value) -> BTreeSet<(String, String, String, String)> {
    r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                path(o["first_page"].as_str().unwrap_or_default()),
                o["first_step"].as_str().unwrap().to_string(),
                o["storage"].as_str().unwrap().to_string(),
                o["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn step_page(r: &Value, step: &str) -> Option<String> {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step && s["status"] != "skipped")
        .map(|s| path(s["page"].as_str().unwrap()))
}

#[test]
fn a_journey_visits_the_sites_pages_in_order_and_dates_each_key_to_its_page() {
    let shop = site("journey-shop");
    // A directory is served from its root: the journeys that start there.
    let journeys: Vec<&Journey> = shop.journey.iter().filter(|j| j.start == "/").collect();
    assert!(journeys.len() >= 3);
    for j in journeys {
        let args: Vec<&str> = j.args.iter().map(String::as_str).collect();
        for answer in ["accept", "reject"] {
            let expected = if answer == "accept" {
                &j.accept
            } else {
                &j.reject
            };
            if expected.is_empty() {
                continue;
            }
            let want: BTreeSet<(String, String, String, String)> = expected
                .iter()
                .map(|k| {
                    (
                        k.page.clone(),
                        k.step.clone(),
                        k.storage.clone(),
                        k.name.clone(),
                    )
                })
                .collect();
            let mut all = args.clone();
            all.extend(["--consent", answer]);
            // Twice: the same pages in the same order, the same keys at the same places.
            for run in 1..=2 {
                let r = scan("journey-shop", &all);
                let what = format!("{args:?} --consent {answer}, run {run}");
                assert_eq!(visited(&r), j.order, "{what}: pages");
                assert_eq!(keys(&r), want, "{what}: keys");
                if answer == "accept" {
                    assert_eq!(step_page(&r, "consent"), j.consent_page, "{what}");
                    assert_eq!(step_page(&r, "chat_open"), j.chat_open_page, "{what}");
                } else {
                    assert_eq!(step_page(&r, "chat_open"), None, "{what}");
                }
                // Every link left out, with why, where it was met.
                let skipped: Vec<(String, String, String)> = r["pages"]["skipped"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        let found = s["found"].as_str().unwrap();
                        let page = if found == "sitemap" || found == "asked" {
                            found.to_string()
                        } else {
                            path(found)
                        };
                        let url = s["url"].as_str().unwrap();
                        (
                            page,
                            url.to_string(),
                            s["why"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                for s in &j.skipped {
                    let hit = skipped.iter().any(|(page, url, why)| {
                        *page == s.page
                            && *why == s.reason
                            && (url == &s.href
                                || path(url) == s.href
                                || url.ends_with(&s.href)
                                || path(url) == format!("{}{}", s.page, s.href))
                    });
                    assert!(hit, "{what}: {s:?} not among the skipped: {skipped:?}");
                }
                // Nothing off-site, no log-out, no download was visited.
                for p in visited(&r) {
                    assert!(
                        !p.contains("logout") && !p.contains("session/end") && !p.ends_with(".pdf"),
                        "{what}: visited {p}"
                    );
                }
                // Each page's steps, in the order of the pages.
                let pages_of_steps: Vec<String> = r["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| path(s["page"].as_str().unwrap()))
                    .fold(Vec::new(), |mut v, p| {
                        if v.last() != Some(&p) {
                            v.push(p);
                        }
                        v
                    });
                assert_eq!(pages_of_steps, j.order, "{what}: steps by page");
            }
        }
    }
}

#[test]
fn the_start_page_alone_misses_the_chat_an_inner_page_carries() {
    let r = scan("journey-shop", &[]);
    assert_eq!(visited(&r), vec!["/"]);
    assert!(
        r["vendors"].as_array().unwrap().is_empty(),
        "{}",
        r["vendors"]
    );
    let j = scan("journey-shop", &["--pages", "3"]);
    let chat = j["vendors"].as_array().unwrap();
    assert_eq!(chat[0]["id"], "tawkto", "{}", j["vendors"]);
    // Its findings name the page.
    let on_contact = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["key"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("twk_"))
        })
        .all(|f| f["page"].as_str().is_some_and(|p| p.ends_with("/contact/")));
    assert!(on_contact, "{}", j["findings"]);
}

#[test]
fn twenty_pages_each_store_their_key_at_their_own_load() {
    let twenty = site("journey-twenty");
    let j = &twenty.journey[0];
    let args: Vec<&str> = j.args.iter().map(String::as_str).collect();
    let r = scan("journey-twenty", &args);
    assert_eq!(visited(&r), j.order);
    let k = keys(&r);
    assert_eq!(k.len(), 20, "{k:?}");
    for (page, step, storage, name) in &k {
        assert_eq!((step.as_str(), storage.as_str()), ("load", "localStorage"));
        let own = if page == "/" {
            "seen_home".to_string()
        } else {
            format!(
                "seen_{}",
                page.trim_start_matches('/').trim_end_matches(".html")
            )
        };
        assert_eq!(name, &own, "{page}");
    }
}

#[test]
fn a_return_visit_keeps_the_profile_and_loses_the_closed_tabs_session_storage() {
    let expected = site("journey-revisit").revisit;
    assert!(!expected.is_empty());
    for run in 1..=2 {
        let r = scan(
            "journey-revisit",
            &["--steps", "load,widget,consent,chat_open,revisit"],
        );
        let revisit = r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "revisit")
            .unwrap();
        assert_eq!(revisit["status"], "done", "run {run}: {revisit}");
        assert!(
            revisit["detail"]
                .as_str()
                .unwrap()
                .contains("no banner showed")
                && revisit["banner_again"].is_null(),
            "{revisit}"
        );
        for k in &expected {
            let o = r["observations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == k.name.as_str() && o["storage"] == k.storage.as_str())
                .unwrap_or_else(|| panic!("run {run}: {} not observed", k.name));
            let at_revisit: Vec<&str> = o["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["step"] == "revisit")
                .flat_map(|c| c["what"].as_array().unwrap().iter())
                .map(|w| w.as_str().unwrap())
                .collect();
            let after = if o["removed_at"] == "revisit" {
                "gone"
            } else if at_revisit.contains(&"reappeared") {
                "rewritten"
            } else if at_revisit.contains(&"value") {
                "changed"
            } else {
                "unchanged"
            };
            assert_eq!(after, k.after, "run {run}: {}: {o}", k.name);
        }
    }
}

#[test]
fn options_that_make_no_journey_are_usage_errors() {
    let dir = site_dir("plain-site");
    let dir = dir.to_str().unwrap();
    for (args, says) in [
        (vec!["--pages", "0"], "at least 1"),
        (vec!["--page", "mailto:x@y.test"], "--page"),
        (vec!["--page", "contact"], "--page"),
        (vec!["--steps", "load,withdraw"], "withdraw"),
        (
            vec!["--consent", "reject", "--steps", "load,consent,withdraw"],
            "withdraw",
        ),
    ] {
        let mut all = vec!["scan", dir];
        all.extend(args.iter().copied());
        let out = chatcookie(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
}

/// Journeys of two sites at once (`--jobs 2`) are each the journey of its site alone.
#[test]
fn journeys_of_several_sites_at_once_are_each_their_own() {
    let shop = site_dir("journey-shop");
    let twenty = site_dir("journey-twenty");
    let out = chatcookie(&[
        "scan",
        shop.to_str().unwrap(),
        twenty.to_str().unwrap(),
        "--pages",
        "20",
        "--jobs",
        "2",
        "--format",
        "jsonl",
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 2, "{}", text(&out));
    for r in &reports {
        let name = if r["provenance"]["url"]
            .as_str()
            .unwrap()
            .contains("journey-shop")
        {
            "journey-shop"
        } else {
            "journey-twenty"
        };
        let expected = &site(name).journey[0];
        assert_eq!(visited(r), expected.order, "{name}");
        let alone = scan(name, &["--pages", "20"]);
        assert_eq!(keys(r), keys(&alone), "{name}");
    }
}
