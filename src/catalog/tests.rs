//! Tests of the embedded catalog, user catalogs, precedence and the generic-name rule.

use super::load::{CatalogText, EMBEDDED, EMBEDDED_DATE, embedded_texts};
use super::*;
use crate::catalog::pattern::Pattern;

/// A realistic value for a placeholder, shaped like the vendor's real ids.
fn realistic(placeholder: &str) -> &'static str {
    match placeholder {
        "propertyId" | "integrationId" => "5f2b1c0e9a8d7c6b5a4f3e2d",
        "visitorId" | "widgetId" => "EBSrukxUuA",
        "random" => "k3Xp9QzA",
        "appId" => "abc12def",
        "websiteId" => "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "deploymentId" => "5d256a7b-5aa6-4723-aec2-fc2d51b87d37",
        _ => "Ab3dE5gH",
    }
}

/// A name a real site would carry for `pattern`.
pub(super) fn realistic_name(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find(['{', '*']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('*') {
            out.push_str("anything.here");
            rest = &rest[i + 1..];
        } else {
            let end = rest[i..].find('}').unwrap() + i;
            out.push_str(realistic(&rest[i + 1..end]));
            rest = &rest[end + 1..];
        }
    }
    out.push_str(rest);
    out
}

fn catalog() -> Catalog {
    Catalog::embedded().unwrap_or_else(|d| panic!("embedded catalog does not load:\n{d}"))
}

#[test]
fn the_embedded_catalog_loads_with_four_vendors() {
    let c = catalog();
    let ids: Vec<&str> = c.vendors.iter().map(|v| v.id.as_str()).collect();
    for id in ["genesys", "jivochat", "tawkto", "web1on1"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(c.version.starts_with(EMBEDDED_DATE));
    for v in &c.vendors {
        assert!(!v.keys.is_empty(), "{} has no keys", v.id);
        assert!(
            !v.detect.globals.is_empty() || !v.detect.scripts.is_empty(),
            "{} cannot be detected",
            v.id
        );
        assert!(v.open.is_some(), "{} has no open call", v.id);
    }
}

#[test]
fn the_documents_key_counts_are_all_there() {
    let c = catalog();
    let count = |id: &str| c.vendor(id).unwrap().keys.len();
    // Web1on1 declares 11 keys; Genesys 37 cookies (2020 wiki) + 1 localStorage key (guide).
    assert_eq!(count("web1on1"), 11);
    assert_eq!(count("genesys"), 38);
    // JivoChat's chat-widget, real-site and website cookies, and its two storage keys.
    assert!(count("jivochat") >= 14 + 9 + 2);
}

#[test]
fn every_entry_matches_a_realistic_name_and_not_a_near_miss() {
    let c = catalog();
    let mut checked = 0;
    for v in &c.vendors {
        for k in &v.keys {
            for p in &k.patterns {
                let name = realistic_name(p.as_str());
                // A vendor's copy of its platform's key is its own where the vendor is evidenced.
                let own = Evidence::default().with(&v.id);
                let m = c
                    .lookup_evidenced(&name, &own)
                    .unwrap_or_else(|| panic!("{name} (for {p}) matches nothing"));
                assert_eq!(
                    m.key.name.get_ref(),
                    k.name.get_ref(),
                    "{name} matched the wrong entry"
                );
                assert_eq!(m.vendor.id, v.id);
                // Near misses: another case, a trailing character, a missing first character.
                for miss in [
                    format!("{name}x").replace('{', ""),
                    name.chars().skip(1).collect::<String>(),
                    flip_case(&name),
                ] {
                    if miss == name {
                        continue;
                    }
                    if let Some(other) = c.lookup(&miss) {
                        assert!(
                            other.key.name.get_ref() != k.name.get_ref() || !p.is_exact(),
                            "near miss {miss:?} still matches {}",
                            k.name.get_ref()
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 94, "only {checked} patterns checked");
}

fn flip_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

#[test]
fn placeholders_capture_the_site_ids() {
    let c = catalog();
    let m = c.lookup("twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d").unwrap();
    assert_eq!(m.vendor.id, "tawkto");
    assert_eq!(m.captures["propertyId"], "5f2b1c0e9a8d7c6b5a4f3e2d");
    let m = c.lookup("jv_store_EBSrukxUuA_client").unwrap();
    assert_eq!(m.vendor.id, "jivochat");
    assert_eq!(m.captures.values().next().unwrap(), "EBSrukxUuA");
    // The messenger's key is the platform's, and Web1on1's only with Web1on1 evidenced.
    let m = c.lookup("61f0c2a9b8e7d6c5b4a39281.clientId").unwrap();
    assert_eq!(m.vendor.id, "smooch");
    assert_eq!(m.captures["appId"], "61f0c2a9b8e7d6c5b4a39281");
    let web1on1 = Evidence::default().with("web1on1");
    let m = c
        .lookup_evidenced("61f0c2a9b8e7d6c5b4a39281.clientId", &web1on1)
        .unwrap();
    assert_eq!(m.vendor.id, "web1on1");
    assert_eq!(m.captures["integrationId"], "61f0c2a9b8e7d6c5b4a39281");
}

#[test]
fn spelling_variants_are_aliases_reported_as_the_documented_name() {
    let c = catalog();
    for (seen, documented) in [
        (
            "_genesys.widgets.webchat.autolInvite.disabled",
            "_genesys.widgets.webchat.autoInvite.disabled",
        ),
        (
            "_genesys.widgets.webchat.state.purecloud-v2-sockets.JWTtoken",
            "_genesys.widgets.webchat.state.purecloud-v2-sockets.JWtoken",
        ),
        (
            "tawk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "twk_uuid_{propertyId}",
        ),
    ] {
        let m = c.lookup(seen).unwrap_or_else(|| panic!("{seen} unmatched"));
        assert!(m.via_alias, "{seen}");
        assert_eq!(m.key.name.get_ref(), documented);
    }
}

#[test]
fn exact_beats_pattern_and_longer_literal_beats_shorter() {
    let c = catalog();
    // `jv_site_utm` is exact; `jv_{random}_{widgetId}` would match it too.
    assert_eq!(
        c.lookup("jv_site_utm").unwrap().key.name.get_ref(),
        "jv_site_utm"
    );
    // `jv_utm_{visitorId}` (7 literal characters) beats `jv_{random}_{widgetId}` (4).
    assert_eq!(
        c.lookup("jv_utm_EBSrukxUuA").unwrap().key.name.get_ref(),
        "jv_utm_{visitorId}"
    );
}

#[test]
fn names_of_other_scripts_are_never_attributed() {
    // Never to a chat vendor: the Open Cookie Database may know them (src/catalog/ocd_tests.rs).
    let c = catalog();
    let ev = Evidence::default();
    for name in [
        "_ga",
        "_gid",
        "_ym_uid",
        "_fbp",
        "PHPSESSID",
        "__stripe_mid",
        "cookieconsent_status",
        "",
    ] {
        let a = c.attribute(name, &ev);
        assert!(a.vendor().is_none(), "{name}: {a:?}");
        assert!(c.lookup(name).is_none(), "{name}");
    }
}

#[test]
fn generic_names_attribute_only_with_other_evidence() {
    let c = catalog();
    let none = Evidence::default();
    for name in ["utm", "city", "country", "refer", "token", "widget_loaded"] {
        match c.attribute(name, &none) {
            Attribution::Unknown { candidate: Some(_) } => {}
            other => panic!("{name} attributed without evidence: {other:?}"),
        }
    }
    let with_jivo = c.evidence_from_names(["jv_enter_ts_EBSrukxUuA"]);
    assert_eq!(c.attribute("utm", &with_jivo).vendor(), Some("jivochat"));
    assert_eq!(c.attribute("city", &with_jivo).vendor(), Some("jivochat"));
    // Evidence of one vendor does not attribute another vendor's generic name.
    assert!(c.attribute("token", &with_jivo).vendor().is_none());
    let with_script =
        c.evidence_from_scripts(["https://embed.tawk.to/5f2b1c0e9a8d7c6b5a4f3e2d/default"]);
    assert_eq!(c.attribute("token", &with_script).vendor(), Some("tawkto"));
    // A generic name is not evidence by itself.
    assert!(c.evidence_from_names(["utm", "city"]).0.is_empty());
}

const USER_VENDOR: &str = r#"
[vendor]
id = "acme-chat"
name = "Acme Chat"

[[source]]
id = "acme"
title = "Acme cookie list"
document = "https://acme.example/cookies"

[detect]
globals = ["AcmeChat"]

[[key]]
name = "acme_session_{siteId}"
storage = "cookie"
duration = "30 days"
purpose = "Keeps the chat session."
category = "functional"
strength = "distinctive"
source = "acme"
"#;

fn user(text: &str) -> CatalogText {
    CatalogText {
        file: "user.toml".into(),
        text: text.into(),
    }
}

#[test]
fn user_catalogs_add_vendors() {
    let c = Catalog::build(embedded_texts(), &[user(USER_VENDOR)]).unwrap();
    assert_eq!(c.lookup("acme_session_42").unwrap().vendor.id, "acme-chat");
    assert!(c.version.contains("+user."));
}

#[test]
fn a_conflict_with_the_embedded_catalog_is_reported_not_resolved() {
    let text = USER_VENDOR.replace("acme_session_{siteId}", "twk_idm_key");
    let err = Catalog::build(embedded_texts(), &[user(&text)]).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("ties with `twk_idm_key`"), "{shown}");
    assert!(shown.contains("catalog/tawkto.toml:"), "{shown}");
    assert!(shown.contains("user.toml:"), "{shown}");
    // A pattern overlapping an embedded one with an equally long literal part is a tie too.
    let text = USER_VENDOR.replace("acme_session_{siteId}", "twk_uuid_{x}");
    assert!(Catalog::build(embedded_texts(), &[user(&text)]).is_err());
    // A duplicate vendor id needs `extend = true`.
    let text = USER_VENDOR.replace("\"acme-chat\"", "\"tawkto\"");
    let shown = Catalog::build(embedded_texts(), &[user(&text)])
        .unwrap_err()
        .to_string();
    assert!(
        shown.contains("already defined in catalog/tawkto.toml"),
        "{shown}"
    );
}

#[test]
fn extend_adds_keys_to_an_existing_vendor() {
    let text = r#"
[vendor]
id = "tawkto"
extend = true

[[key]]
name = "twk_experimental_{propertyId}"
storage = "cookie"
duration = "session"
purpose = "A key seen in the field."
category = "functional"
category_assessed = true
strength = "distinctive"
source = "field-notes"
"#;
    let c = Catalog::build(embedded_texts(), &[user(text)]).unwrap();
    assert_eq!(
        c.lookup("twk_experimental_abc").unwrap().vendor.id,
        "tawkto"
    );
}

#[test]
fn malformed_files_are_rejected_with_line_and_column() {
    let cases = [
        ("[vendor]\nid = \"x\"\nname = \n", 3, "syntax"),
        (
            &USER_VENDOR.replace("duration = \"30 days\"", "duration = \"forever\""),
            0,
            "invalid duration",
        ),
        (
            &USER_VENDOR.replace("acme_session_{siteId}", "acme_{site"),
            0,
            "invalid key pattern",
        ),
        (
            &USER_VENDOR.replace("source = \"acme\"", "source = \"nope\""),
            0,
            "not declared",
        ),
        (
            &USER_VENDOR.replace("strength = \"distinctive\"", "strength = \"strong\""),
            0,
            "unknown variant",
        ),
        (
            &USER_VENDOR.replace("purpose = \"Keeps", "purpos = \"Keeps"),
            0,
            "unknown field",
        ),
    ];
    for (text, line, what) in cases {
        let err = Catalog::build(Vec::new(), &[user(text)]).unwrap_err();
        let d = &err.0[0];
        if line > 0 {
            assert_eq!(d.line, line, "{what}: {d}");
        }
        assert!(d.line > 1 && d.column >= 1, "{what}: no position in {d}");
        let shown = d.to_string();
        assert!(shown.contains("user.toml:"), "{what}: {shown}");
        if what != "syntax" {
            assert!(shown.to_lowercase().contains(what), "{what}: {shown}");
        }
    }
}

#[test]
fn catalog_ties_inside_one_file_are_errors() {
    let text = format!(
        "{USER_VENDOR}\n[[key]]\nname = \"acme_session_{{other}}\"\nstorage = \"cookie\"\nduration = \"session\"\npurpose = \"p\"\ncategory = \"functional\"\nstrength = \"generic\"\nsource = \"acme\"\n"
    );
    let err = Catalog::build(Vec::new(), &[user(&text)]).unwrap_err();
    assert!(err.to_string().contains("ties with"), "{err}");
}

#[test]
fn patterns_of_the_catalog_parse() {
    for v in catalog().vendors {
        for k in &v.keys {
            assert!(Pattern::parse(k.name.get_ref()).is_ok());
        }
    }
}

// ------------------------------------------------------------------ real-world spellings
// docs/sources/real-spellings.md: names read from the vendors' own code and from public storage
// dumps and cookie jars.

#[test]
fn tawkto_names_from_its_own_widget_script_attribute_to_tawkto() {
    let c = catalog();
    let none = Evidence::default();
    // Distinctive: attributed on their own.
    for (seen, entry) in [
        ("Tawk_5f2b1c0e9a8d7c6b5a4f3e2d", "Tawk_{propertyId}"),
        ("TawkWindowName", "TawkWindowName"),
    ] {
        let m = c.lookup(seen).unwrap_or_else(|| panic!("{seen} unmatched"));
        assert_eq!(m.vendor.id, "tawkto", "{seen}");
        assert_eq!(m.key.name.get_ref(), entry, "{seen}");
        assert_eq!(m.key.strength, Strength::Distinctive, "{seen}");
        assert_eq!(c.attribute(seen, &none).vendor(), Some("tawkto"), "{seen}");
    }
    let m = c.lookup("Tawk_5f2b1c0e9a8d7c6b5a4f3e2d").unwrap();
    assert_eq!(m.captures["propertyId"], "5f2b1c0e9a8d7c6b5a4f3e2d");
    // twk_<propertyId> (localStorage session information) is generic: only with other evidence.
    let session = "twk_5f2b1c0e9a8d7c6b5a4f3e2d";
    let m = c.lookup(session).unwrap();
    assert_eq!(m.vendor.id, "tawkto");
    assert_eq!(m.key.name.get_ref(), "twk_{propertyId}");
    assert_eq!(m.key.strength, Strength::Generic);
    assert_eq!(m.captures["propertyId"], "5f2b1c0e9a8d7c6b5a4f3e2d");
    assert!(c.attribute(session, &none).vendor().is_none());
    let with_tawk = c.evidence_from_names(["twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d"]);
    assert_eq!(c.attribute(session, &with_tawk).vendor(), Some("tawkto"));
    let with_script =
        c.evidence_from_scripts(["https://embed.tawk.to/5f2b1c0e9a8d7c6b5a4f3e2d/default"]);
    assert_eq!(c.attribute(session, &with_script).vendor(), Some("tawkto"));
    // A generic name is not evidence by itself.
    assert!(c.evidence_from_names([session]).0.is_empty());
    // Another script's twk_-prefixed name is never attributed without evidence.
    assert!(c.attribute("twk_answers", &none).vendor().is_none());
}

#[test]
fn tawkto_entries_keep_their_precedence_over_the_twk_session_pattern() {
    let c = catalog();
    for (seen, entry) in [
        ("twk_idm_key", "twk_idm_key"),
        ("twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d", "twk_uuid_{propertyId}"),
        // Real sites keep twk_token_<propertyId> in localStorage (the article lists it as a
        // cookie): the entry matches whatever the storage.
        (
            "twk_token_5f2b1c0e9a8d7c6b5a4f3e2d",
            "twk_token_{propertyId}",
        ),
        (
            "tawk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "twk_uuid_{propertyId}",
        ),
        ("TawkConnectionTime", "TawkConnectionTime"),
        ("__tawkuuid", "__tawkuuid"),
        ("TawkCookie", "TawkCookie"),
    ] {
        let m = c.lookup(seen).unwrap_or_else(|| panic!("{seen} unmatched"));
        assert_eq!(m.vendor.id, "tawkto", "{seen}");
        assert_eq!(m.key.name.get_ref(), entry, "{seen}");
        assert_eq!(m.key.strength, Strength::Distinctive, "{seen}");
        assert_eq!(
            c.attribute(seen, &Evidence::default()).vendor(),
            Some("tawkto"),
            "{seen}"
        );
    }
}

#[test]
fn real_jivochat_and_genesys_spellings_match_their_entries() {
    // Spellings from public cookie jars (docs/sources/real-spellings.md), including widget ids
    // of other shapes than EBSrukxUuA.
    let c = catalog();
    let none = Evidence::default();
    for (seen, vendor, entry) in [
        (
            "jv_enter_ts_28xf68izjx",
            "jivochat",
            "jv_enter_ts_{visitorId}",
        ),
        ("jv_refer_PeHzjrJoSL", "jivochat", "jv_refer_{visitorId}"),
        (
            "jv_invitation_time_Tmyx3k0Kz1",
            "jivochat",
            "jv_invitation_time_{visitorId}",
        ),
        (
            "jv_close_time_Tmyx3k0Kz1",
            "jivochat",
            "jv_close_time_{visitorId}",
        ),
        (
            "jv_store_J5trncW2TZ_client",
            "jivochat",
            "jv_store_{widgetId}_client",
        ),
        (
            "_genesys.widgets.webchat.state.purecloud-v2-sockets.ConversationID",
            "genesys",
            "_genesys.widgets.webchat.state.purecloud-v2-sockets.ConversationID",
        ),
        (
            "_genesys.widgets.webchat.state.session",
            "genesys",
            "_genesys.widgets.webchat.state.session",
        ),
    ] {
        let m = c.lookup(seen).unwrap_or_else(|| panic!("{seen} unmatched"));
        assert_eq!(m.vendor.id, vendor, "{seen}");
        assert_eq!(m.key.name.get_ref(), entry, "{seen}");
        assert_eq!(m.key.strength, Strength::Distinctive, "{seen}");
        assert_eq!(c.attribute(seen, &none).vendor(), Some(vendor), "{seen}");
    }
}

#[test]
fn smooch_platform_names_are_not_given_to_web1on1() {
    // sk_deviceid (Smooch 0.2-3.x) and sk_latestts_* (1.x-2.1) are the messenger's, not in Web1on1's
    // declaration: no chat vendor gets them (docs/sources/real-spellings.md, Smooch section).
    let c = catalog();
    let with_web1on1 = Evidence::default().with("web1on1");
    for name in ["sk_deviceid", "sk_latestts_anonymous", "sk_latestts"] {
        assert_eq!(c.lookup(name).unwrap().vendor.id, "smooch", "{name}");
        assert_eq!(
            c.attribute(name, &with_web1on1).vendor(),
            Some("smooch"),
            "{name}"
        );
    }
    // A distinctive messenger key evidences the platform, never Web1on1.
    let ev = c.evidence_from_names(["61f0c2a9b8e7d6c5b4a39281.clientId"]);
    assert!(ev.contains("smooch") && !ev.contains("web1on1"), "{ev:?}");
    // The 4.x+ names keep matching Web1on1's documented entries, for an app id (4.x) as for an
    // integration id (5.x).
    for suffix in ["clientId", "appUserId", "sessionToken"] {
        let name = format!("5a0b1c2d3e4f506172839405.{suffix}");
        let m = c.lookup_evidenced(&name, &with_web1on1).unwrap();
        assert_eq!(m.vendor.id, "web1on1");
        assert_eq!(m.key.name.get_ref(), &format!("{{integrationId}}.{suffix}"));
        assert_eq!(c.lookup(&name).unwrap().vendor.id, "smooch", "{name} alone");
    }
}

#[test]
fn unrelated_generic_names_are_never_certain() {
    let c = catalog();
    let none = Evidence::default();
    for name in [
        "token",
        "uuid",
        "session",
        "sessionToken",
        "clientId",
        "appUserId",
        "deviceId",
        "visitor_id",
        "user",
        "exist_test",
        "testcookie",
    ] {
        let a = c.attribute(name, &none);
        assert!(a.vendor().is_none(), "{name}: {a:?}");
        if let Some(m) = c.lookup(name) {
            assert_eq!(m.key.strength, Strength::Generic, "{name} is a catalog key");
        }
    }
}

#[test]
fn a_platform_seen_with_a_vendor_built_on_it_is_that_vendor() {
    let c = catalog();
    let mut ev = Evidence::default().with("smooch").with("web1on1");
    c.settle(&mut ev);
    assert_eq!(ev.vendors().collect::<Vec<_>>(), ["web1on1"]);
    let mut plain = Evidence::default().with("smooch");
    c.settle(&mut plain);
    assert_eq!(plain.vendors().collect::<Vec<_>>(), ["smooch"]);
}

#[test]
fn a_footprint_is_two_of_the_vendors_own_keys_beside_its_platforms() {
    let c = catalog();
    let smooch = Evidence::default().with("smooch");
    let two = c.evidence_from_footprint(["widget_loaded", "widget_uuid", "x"], &smooch);
    assert_eq!(two.vendors().collect::<Vec<_>>(), ["web1on1"]);
    // One generic name, the same name twice, or no platform beside them: no footprint.
    assert!(
        c.evidence_from_footprint(["widget_loaded"], &smooch)
            .is_empty()
    );
    assert!(
        c.evidence_from_footprint(["widget_loaded", "widget_loaded"], &smooch)
            .is_empty()
    );
    assert!(
        c.evidence_from_footprint(["widget_loaded", "widget_uuid"], &Evidence::default())
            .is_empty()
    );
}

#[test]
fn a_vendor_built_on_no_platform_is_refused_with_its_line() {
    let file = "[vendor]\nid = \"x\"\nname = \"X\"\nbuilt_on = \"nothing\"\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.toml");
    std::fs::write(&path, file).unwrap();
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(e.contains("names no platform") && e.contains(":4:"), "{e}");
}

/// A user file with `body` after a valid vendor header, written where `with_user_files` reads it.
fn user_file(body: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.toml");
    let text = format!(
        "[vendor]\nid = \"x\"\nname = \"X\"\n{body}\n[[source]]\nid = \"s\"\ntitle = \"S\"\ndocument = \"https://x.example/\"\n"
    );
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn a_sites_own_scripts_do_not_evidence_a_vendor_its_host_name_contains() {
    let c = catalog();
    let site = "klaro-web1on1.test";
    let own = c.evidence_from_page_scripts(
        [
            "http://www.klaro-web1on1.test:4000/config.js",
            "http://www.klaro-web1on1.test:4000/vendor/klaro/dist/klaro.js",
        ],
        site,
    );
    assert!(own.is_empty(), "{own:?}");
    let loader =
        c.evidence_from_page_scripts(["http://cdn.web1on1.test:4000/js/web1on1-loader.js"], site);
    assert_eq!(loader.vendors().collect::<Vec<_>>(), ["web1on1"]);
    // The site's own copy of a vendor's script still counts, by its path.
    let self_hosted =
        c.evidence_from_page_scripts(["http://www.klaro-web1on1.test/js/web1on1-loader.js"], site);
    assert_eq!(self_hosted.vendors().collect::<Vec<_>>(), ["web1on1"]);
    // A query is no signature.
    let query = c.evidence_from_page_scripts(["https://cdn.example.net/app.js?ref=web1on1"], site);
    assert!(query.is_empty(), "{query:?}");
}

#[test]
fn a_product_of_an_unknown_or_of_a_product_is_refused_with_its_line() {
    let (_d, path) = user_file("product_of = \"nope\"");
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(
        e.contains("names no vendor of the catalog") && e.contains(":4:"),
        "{e}"
    );
    let (_d, path) = user_file("product_of = \"genesys-messenger\"");
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(e.contains("names a product of another vendor"), "{e}");
    let (_d, path) = user_file("product_of = \"smooch\"");
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(e.contains("platform"), "{e}");
}

#[test]
fn key_origins_are_for_web_storage_with_real_dates() {
    let key = |storage: &str, date: &str| {
        format!(
            "[[key]]\nname = \"x_{{id}}\"\nstorage = \"{storage}\"\nduration = \"session\"\npurpose = \"p\"\ncategory = \"functional\"\nstrength = \"distinctive\"\nsource = \"s\"\norigin = [{{ held = \"vendor\", since = \"{date}\", source = \"s\" }}]\n"
        )
    };
    let (_d, path) = user_file(&key("localStorage", "2025-01-27"));
    Catalog::with_user_files(&[path]).unwrap();
    let (_d, path) = user_file(&key("cookie", "2025-01-27"));
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(e.contains("`origin` is for web storage"), "{e}");
    let (_d, path) = user_file(&key("localStorage", "2025-13-01"));
    let e = Catalog::with_user_files(&[path]).unwrap_err().to_string();
    assert!(e.contains("must be YYYY-MM-DD"), "{e}");
    let (_d, path) = user_file(&key("localStorage", "27.01.2025"));
    assert!(Catalog::with_user_files(&[path]).is_err());
}

#[test]
fn evidence_is_judged_on_the_reasons_that_came_first() {
    let mut ev = Evidence::default();
    ev.add("web1on1", "script http://cdn.example/web1on1.js".into());
    ev.add("web1on1", "global web1on1".into());
    let mut steps = EvidenceSteps::default();
    let mut early = Evidence::default();
    early.add("web1on1", "script http://cdn.example/web1on1.js".into());
    steps.record(&early, crate::vocab::Step::Load);
    steps.record(&ev, crate::vocab::Step::Consent);
    // Recorded once: the first step stays.
    assert_eq!(
        steps.step_of("web1on1", "script http://cdn.example/web1on1.js"),
        Some(crate::vocab::Step::Load)
    );
    assert_eq!(
        steps.step_of("web1on1", "global web1on1"),
        Some(crate::vocab::Step::Consent)
    );
    let first = ev.earliest(&steps);
    assert_eq!(
        first.0["web1on1"].iter().collect::<Vec<_>>(),
        ["script http://cdn.example/web1on1.js"]
    );
    let c = catalog();
    match c.attribute("widget_loaded", &first) {
        Attribution::Known { evidence, .. } => {
            assert_eq!(
                evidence.as_deref(),
                Some("script http://cdn.example/web1on1.js")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn genesys_cloud_messenger_is_a_product_of_genesys_sharing_its_hosts() {
    let c = catalog();
    let m = c.vendor("genesys-messenger").unwrap();
    assert_eq!(m.product_of.as_ref().unwrap().get_ref(), "genesys");
    assert_eq!(
        c.products_of("genesys")
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>(),
        ["genesys-messenger"]
    );
    let url = "https://apps.mypurecloud.de/genesys-bootstrap/genesys.min.js";
    // No product evidenced: the host is the vendor's, as before.
    let (v, how) = c
        .vendor_of_request(url, false, &Evidence::default())
        .unwrap();
    assert_eq!(
        (v.id.as_str(), how.as_str()),
        ("genesys", "host *.mypurecloud.de (vendor-domain)")
    );
    // Messenger on the page: its requests to the shared hosts are Messenger's.
    let messenger = Evidence::default().with("genesys-messenger");
    let (v, how) = c.vendor_of_request(url, false, &messenger).unwrap();
    assert_eq!(v.id, "genesys-messenger");
    assert!(how.ends_with("shared with Genesys Widgets"), "{how}");
    // Widgets on the page too: the vendor's own file keeps its hosts.
    let both = messenger.with("genesys");
    assert_eq!(
        c.vendor_of_request(url, false, &both).unwrap().0.id,
        "genesys"
    );
    assert!(
        c.host_of_vendor("genesys-messenger", "apps.mypurecloud.de")
            .is_some()
    );
    assert!(
        c.host_of_vendor("genesys-messenger", "embed.tawk.to")
            .is_none()
    );
    // Its script and globals evidence the product, not Genesys Widgets.
    let ev = c.evidence_from_page_scripts([url], "shop.example");
    assert_eq!(ev.vendors().collect::<Vec<_>>(), ["genesys-messenger"]);
}

#[test]
fn genesys_messenger_keys_carry_the_deployment_and_journey_names_need_messenger() {
    let c = catalog();
    let name = "_5d256a7b-5aa6-4723-aec2-fc2d51b87d37:actmu";
    let m = c.lookup(name).unwrap();
    assert_eq!(m.vendor.id, "genesys-messenger");
    assert_eq!(
        m.captures["deploymentId"],
        "5d256a7b-5aa6-4723-aec2-fc2d51b87d37"
    );
    assert_eq!(m.key.origin.len(), 2);
    assert_eq!(
        m.key
            .origin
            .iter()
            .map(|o| o.describe())
            .collect::<Vec<_>>(),
        ["site (until 2025-01-27)", "vendor (since 2025-01-27)"]
    );
    for key in ["gcmcopn", "gcmcsessionActive", "gcatkn", "gcartkn"] {
        let n = format!("_5d256a7b-5aa6-4723-aec2-fc2d51b87d37:{key}");
        assert_eq!(
            c.attribute(&n, &Evidence::default()).vendor(),
            Some("genesys-messenger"),
            "{n}"
        );
    }
    // Journey tracking's short names are generic: never attributed on their own.
    for generic in ["_actmu", "_actms", "_actts"] {
        assert!(
            matches!(
                c.attribute(generic, &Evidence::default()),
                Attribution::Unknown { candidate: Some(_) }
            ),
            "{generic}"
        );
        let with = c.evidence_from_names([name]);
        let a = c.attribute(generic, &with);
        assert_eq!(a.vendor(), Some("genesys-messenger"), "{generic}");
        assert_eq!(a.confidence(), Some(Certainty::Likely));
    }
    // A deployment id is required: the bare suffix is nobody's.
    assert!(c.lookup(":actmu").is_none());
    assert!(c.lookup("_:gcmcopn").is_none());
}

#[test]
fn an_edited_embedded_file_is_checked_in_place_of_its_embedded_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesys-messenger.toml");
    let text = EMBEDDED
        .get_file("genesys-messenger.toml")
        .unwrap()
        .contents_utf8()
        .unwrap();
    std::fs::write(
        &path,
        text.replace("Whether the Messenger window", "If the Messenger window"),
    )
    .unwrap();
    let c = Catalog::check_file(&path).unwrap();
    let v = c.vendor("genesys-messenger").unwrap();
    assert_eq!(v.file, path.display().to_string());
    assert!(
        v.keys
            .iter()
            .any(|k| k.purpose.starts_with("If the Messenger window"))
    );
    assert_eq!(
        c.vendors
            .iter()
            .filter(|v| v.id == "genesys-messenger")
            .count(),
        1
    );
    // Another file of the same name with another vendor is a user's file as ever.
    std::fs::write(&path, USER_VENDOR).unwrap();
    assert!(
        Catalog::check_file(&path)
            .unwrap()
            .vendor("acme-chat")
            .is_some()
    );
}
