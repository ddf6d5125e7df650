//! Tests of the embedded Open Cookie Database: the acceptance names, the generic-name rule on the
//! whole database, and the chat vendors' precedence over every one of their keys.

use super::load::{EMBEDDED_DATE, embedded_ocd_text};
use super::ocd_report::OcdFigures;
use super::*;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap_or_else(|d| panic!("embedded catalog does not load:\n{d}"))
}

/// Evidence of every platform the database knows.
fn all_platforms(c: &Catalog) -> Evidence {
    let mut ev = Evidence::default();
    for p in &c.ocd.platforms {
        ev.add(&p.id, "test: every platform".into());
    }
    ev
}

#[test]
fn the_database_is_embedded_with_its_version_and_licence() {
    let c = catalog();
    let db = &c.ocd.database;
    assert_eq!(db.name, "Open Cookie Database");
    assert_eq!(db.licence, "Apache-2.0");
    assert_eq!(db.commit.len(), 40, "{db:?}");
    assert!(db.version().starts_with(&db.date));
    assert_eq!(db.entries, c.ocd.len());
    assert!(c.ocd.len() > 2000, "{} entries", c.ocd.len());
    assert_eq!(db.notice, "catalog/OCD-LICENSE");
    let notice = ocd_notice();
    assert!(notice.contains("Apache License"), "the licence text ships");
    assert!(notice.contains(&db.commit), "the notice names the commit");
    assert!(db.describe().contains("Apache-2.0"));
    // Every platform id is unique and every entry has a name.
    let mut ids: Vec<&str> = c.ocd.platforms.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "duplicate platform ids");
    assert!(
        c.ocd
            .platforms
            .iter()
            .flat_map(|p| &p.keys)
            .all(|k| !k.name.is_empty())
    );
}

#[test]
fn no_description_text_is_copied() {
    let text = embedded_ocd_text();
    // Nine fields a key line, none of them a description.
    for line in text.lines().filter(|l| l.starts_with("K\t")) {
        assert_eq!(line.split('\t').count(), 9, "{line}");
    }
    // Facts only: the longest value is a name, a retention period or a host list, never prose.
    for p in &catalog().ocd.platforms {
        for k in &p.keys {
            for s in [Some(&k.name), k.retention.as_ref(), k.ocd_category.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(s.len() < 120, "{}: {s}", p.name);
            }
        }
    }
}

#[test]
fn common_third_party_cookies_are_classified_with_platform_and_category() {
    let c = catalog();
    let none = Evidence::default();
    for (name, platform, category) in [
        ("_ga", "Google Analytics", Category::Analytics),
        ("_gid", "Google Analytics", Category::Analytics),
        ("__utma", "Google Analytics", Category::Analytics),
        ("_ga_ABC123DEF", "Google Analytics", Category::Analytics),
        ("_gat_UA-12345-1", "Google Analytics", Category::Analytics),
        ("_fbp", "Facebook", Category::Marketing),
        ("IDE", "DoubleClick/Google Marketing", Category::Marketing),
        ("OptanonConsent", "OneTrust", Category::Functional),
        ("CookieConsent", "Cookiebot", Category::Functional),
    ] {
        let j = c.judge(name, &none, &none);
        match &j.attribution {
            Attribution::Platform {
                platform_name,
                confidence,
                ..
            } => {
                assert_eq!(platform_name, platform, "{name}");
                assert_eq!(*confidence, Certainty::Certain, "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(j.platform_key.unwrap().key.category, category, "{name}");
        assert!(j.attribution.vendor().is_none(), "{name} is no chat key");
    }
}

#[test]
fn generic_names_alone_are_attributed_to_nothing_for_certain() {
    let c = catalog();
    let none = Evidence::default();
    for name in [
        "token", "uid", "C", "id", "lang", "session", "ID", "sid", "SID", "uids", "ts",
    ] {
        let a = c.attribute(name, &none);
        assert!(
            !matches!(
                a,
                Attribution::Platform {
                    confidence: Certainty::Certain,
                    ..
                } | Attribution::Known { .. }
            ),
            "{name}: {a:?}"
        );
        // In a names list they evidence nothing either.
        assert!(c.platform_evidence([name], []).is_empty(), "{name}");
    }
    // `token` is tawk.to's (generic) key: the chat catalog decides it, whatever OCD says.
    assert_eq!(
        c.attribute("token", &none),
        Attribution::Unknown {
            candidate: Some("tawkto: token".into())
        }
    );
}

#[test]
fn a_generic_name_is_likely_its_platforms_when_the_platform_is_evidenced() {
    let c = catalog();
    let none = Evidence::default();
    // By host: a cookie on adform.net.
    let by_host = c.platform_evidence(["uid", "C"], [".adform.net"]);
    for name in ["uid", "C"] {
        match c.judge(name, &none, &by_host).attribution {
            Attribution::Platform {
                platform,
                confidence: Certainty::Likely,
                evidence,
                ..
            } => {
                assert_eq!(platform, "adform");
                assert_eq!(evidence.as_deref(), Some("host adform.net"));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // By a request URL (a HAR's), on a subdomain.
    let by_url = c.platform_evidence([], ["https://ib.adnxs.com/getuid?x"]);
    assert_eq!(
        c.judge("uids", &none, &by_url).attribution.platform(),
        Some("xandr"),
        "a name shared by two platforms goes to the one evidenced"
    );
    // By a distinctive key of the platform: Google Analytics' `_ga` evidences it.
    let by_key = c.platform_evidence(["_ga"], []);
    assert!(by_key.contains("google-analytics"));
    // Another platform's evidence does not help.
    assert!(!c.judge("uid", &none, &by_key).attribution.is_known());
    // Without evidence the generic entry is only a candidate.
    match c.attribute("uid", &none) {
        Attribution::Unknown { candidate: Some(c) } => assert!(c.contains("Adform"), "{c}"),
        other => panic!("{other:?}"),
    }
}

/// Every documented name and alias of the four chat vendors, as a site would carry it.
fn vendor_names(c: &Catalog) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in &c.vendors {
        for k in &v.keys {
            for p in &k.patterns {
                out.push((v.id.clone(), super::tests::realistic_name(p.as_str())));
            }
        }
    }
    out
}

#[test]
fn no_name_of_the_four_chat_vendors_changes_its_attribution() {
    let c = catalog();
    let names = vendor_names(&c);
    assert!(names.len() >= 94, "{} names", names.len());
    let platforms = all_platforms(&c);
    let mut overlapping = Vec::new();
    for (vendor, name) in &names {
        let own = Evidence::default().tap_add(vendor);
        for ev in [Evidence::default(), own] {
            // The chat catalog alone, as before the database was embedded.
            let alone = matcher::attribute(c.lookup_evidenced(name, &ev), &ev);
            for pev in [Evidence::default(), platforms.clone()] {
                let j = c.judge(name, &ev, &pev);
                assert_eq!(j.attribution, alone, "{name} with {ev:?}");
                assert!(j.platform_key.is_none(), "{name}");
            }
        }
        if !c.ocd.candidates(name).is_empty() {
            overlapping.push(name.clone());
        }
        // A vendor's name never evidences a platform.
        assert!(
            c.platform_evidence([name.as_str()], []).is_empty(),
            "{name}"
        );
    }
    // The database does list some of them (tawk.to's, and `token`): the chat catalog wins.
    assert!(overlapping.iter().any(|n| n == "token"), "{overlapping:?}");
}

trait TapAdd {
    fn tap_add(self, vendor: &str) -> Evidence;
}

impl TapAdd for Evidence {
    fn tap_add(mut self, vendor: &str) -> Evidence {
        self.add(vendor, "test: the vendor's script".into());
        self
    }
}

#[test]
fn every_entry_matches_its_own_name_and_the_rule_holds_on_the_whole_database() {
    let c = catalog();
    let none = Evidence::default();
    let reasons = ["short", "shared", "short-lowercase", "common-words"];
    let mut generic = 0;
    for p in &c.ocd.platforms {
        for k in &p.keys {
            let name = if k.prefix {
                format!("{}Xy1", k.name)
            } else {
                k.name.clone()
            };
            let cands = c.ocd.candidates(&name);
            assert!(
                cands
                    .iter()
                    .any(|(q, e)| q.id == p.id && e.name == k.name && e.prefix == k.prefix),
                "{}: {name} does not find its own entry",
                p.name
            );
            assert!(cands.iter().all(|(_, e)| e.matches(&name)), "{name}");
            if k.prefix {
                assert!(
                    c.ocd
                        .candidates(&k.name)
                        .iter()
                        .any(|(_, e)| e.name == k.name)
                );
            }
            match &k.generic {
                Some(why) => {
                    generic += 1;
                    assert!(reasons.contains(&why.as_str()), "{}: {why}", k.name);
                    // A generic name never attributes for certain, and needs its platform.
                    if c.lookup(&name).is_none() {
                        let a = c.ocd.judge(&name, &none);
                        assert!(
                            a.as_ref().map_or(true, |m| m.key.generic.is_none()),
                            "{name}: {:?}",
                            a.map(|m| m.key.name.clone())
                        );
                    }
                }
                None => {
                    // The rule's short names are all generic.
                    let s = if k.prefix {
                        k.name.trim_end_matches(['_', '-', '.', ':', '/'])
                    } else {
                        k.name.as_str()
                    };
                    assert!(
                        s.chars().count() > 2,
                        "{}: {} is distinctive",
                        p.name,
                        k.name
                    );
                }
            }
        }
    }
    let f = OcdFigures::of(&c.ocd);
    assert_eq!(f.generic, generic);
    assert_eq!(f.generic + f.distinctive, f.entries);
    // The figures in docs/ocd-generic.md are the data's.
    let doc = include_str!("../../docs/ocd-generic.md");
    assert!(
        doc.contains(&format!("{} entries are generic", f.generic)),
        "docs/ocd-generic.md is stale: regenerate it with scripts/ocd-import.py"
    );
    assert!(doc.contains(&format!("{} entries kept", f.entries)));
    // A sane share of the database: most names identify their platform.
    assert!(
        f.generic * 5 < f.entries,
        "{} of {} generic",
        f.generic,
        f.entries
    );
}

#[test]
fn categories_map_onto_the_catalogs_vocabulary() {
    let c = catalog();
    let mut seen = std::collections::BTreeSet::new();
    for k in c.ocd.platforms.iter().flat_map(|p| &p.keys) {
        let label = k.ocd_label();
        seen.insert((label.clone(), k.category.as_str()));
        let expected = match label.as_str() {
            "functional" | "personalization" | "preferences" => Category::Functional,
            "analytics" => Category::Analytics,
            "marketing" => Category::Marketing,
            "security" | "necessary" => Category::StrictlyNecessary,
            other => panic!("unmapped OCD category {other}"),
        };
        assert_eq!(k.category, expected, "{}", k.name);
    }
    assert!(seen.len() >= 5, "{seen:?}");
}

#[test]
fn user_catalogs_keep_the_database() {
    let c = Catalog::with_user_texts(&[]).unwrap();
    assert!(!c.ocd.is_empty());
    assert!(c.version.starts_with(EMBEDDED_DATE));
}
