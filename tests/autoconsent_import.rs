//! The autoconsent import: the committed catalog/autoconsent.toml (with its report and licence
//! notice) is what scripts/autoconsent-import.mjs makes of the pinned package, byte for byte; and
//! what it makes of a handful of real rules, rule by rule.
//!
//! The package is pinned in `scripts/autoconsent/` and installed at test time with `npm ci` into a
//! cache directory keyed by the lock file (`tests/common/npm.rs`); the script runs with `node`.

use crate::common::{npm, root};

use chatcookie::consent::CmpRules;
use chatcookie::consent::rules::{Action, Check, Condition};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The installed package directory.
fn package() -> PathBuf {
    npm::node_modules_of("scripts/autoconsent").join("@duckduckgo/autoconsent")
}

/// Runs the importer on `package`, writing into `out`; its stderr.
fn import(package: &Path, out: &Path) -> String {
    let output = Command::new("node")
        .arg(root().join("scripts/autoconsent-import.mjs"))
        .arg("--package")
        .arg(package)
        .arg("--out")
        .arg(out.join("autoconsent.toml"))
        .arg("--report")
        .arg(out.join("autoconsent-import.md"))
        .arg("--license")
        .arg(out.join("AUTOCONSENT-LICENSE"))
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("node (Node.js 20) must be installed to run the importer: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "the importer failed: {stderr}");
    stderr
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  committed: {x}\n  generated: {y}", i + 1);
        }
    }
    format!(
        "one is a prefix of the other ({} and {} lines)",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn the_committed_import_is_current() {
    let package = package();
    let dir = tempfile::tempdir().unwrap();
    let said = import(&package, dir.path());
    assert!(said.contains("rules imported"), "{said}");
    for (generated, committed) in [
        ("autoconsent.toml", "catalog/autoconsent.toml"),
        ("autoconsent-import.md", "docs/autoconsent-import.md"),
        ("AUTOCONSENT-LICENSE", "catalog/AUTOCONSENT-LICENSE"),
    ] {
        let new = std::fs::read_to_string(dir.path().join(generated)).unwrap();
        let old = std::fs::read_to_string(root().join(committed)).unwrap();
        assert!(
            new == old,
            "{committed} is not what scripts/autoconsent-import.mjs makes of the pinned package; \
             run `(cd scripts/autoconsent && npm ci) && node scripts/autoconsent-import.mjs` and \
             commit the result. First difference, {}",
            first_difference(&old, &new)
        );
    }
    // Twice the same bytes: nothing depends on the file system's order or the locale.
    let again = tempfile::tempdir().unwrap();
    import(&package, again.path());
    assert_eq!(
        std::fs::read(dir.path().join("autoconsent.toml")).unwrap(),
        std::fs::read(again.path().join("autoconsent.toml")).unwrap()
    );
}

/// The real rules the mapping is checked on, and what becomes of each.
const RULES: &[&str] = &[
    "gmx-permission.json", // frames only, urlPattern, nested if/else, cookieContains test
    "privacymanager.json", // required and optional clicks, click all, waitFor
    "aa-cookie-banner.json", // a chain through a shadow root
    "abetterrouteplanner.json", // a negated test
    "europa-eu.json",      // one step that hides and clicks
    "ketch.json",          // any in detectCmp and detectPopup
    "complianz-banner.json", // a duplicate of the hand-written complianz rule
    "cookiealert.json",    // needs eval snippets
    "cc-banner.json",      // cosmetic
    "hema-com.json",       // one site's rule without urlPattern, detected by generic words
];

/// A package directory with only `RULES`, beside the real package.json and LICENSE.
fn few_rules(real: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/autoconsent")).unwrap();
    for f in ["package.json", "LICENSE"] {
        std::fs::copy(real.join(f), dir.path().join(f)).unwrap();
    }
    for f in RULES {
        std::fs::copy(
            real.join("rules/autoconsent").join(f),
            dir.path().join("rules/autoconsent").join(f),
        )
        .unwrap();
    }
    dir
}

/// The `[[cmp]]` table of `id` in a generated file.
fn table<'a>(text: &'a str, id: &str) -> &'a str {
    let start = text
        .find(&format!("id = \"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in\n{text}"));
    let end = text[start..]
        .find("\n[[cmp]]")
        .map_or(text.len(), |e| start + e);
    &text[start..end]
}

#[test]
fn real_rules_map_to_the_rule_format() {
    let package = few_rules(&package());
    let out = tempfile::tempdir().unwrap();
    import(package.path(), out.path());
    let text = std::fs::read_to_string(out.path().join("autoconsent.toml")).unwrap();
    let report = std::fs::read_to_string(out.path().join("autoconsent-import.md")).unwrap();

    assert_eq!(
        table(&text, "ac-gmx-permission"),
        r##"id = "ac-gmx-permission"
name = "gmx-permission"
source = "@duckduckgo/autoconsent 16.23.0 rules/autoconsent/gmx-permission.json"
main = false
frame = true
url_pattern = '^https://plus\.gmx\.com/lt(?:[?#]|$)'
detect = { exists = "#overlay.cmp" }
shown = { visible = "#overlay[role=dialog]", check = "all" }
accept = [
  { wait_click = "#save-all-conditionally, #save-all", hidden = true },
]
reject = [
  { if = { exists = "#deny" }, then = [
    { wait_click = "#deny", hidden = true },
  ], else = [
    { if = { exists = "#edit-purpose-settings" }, then = [
      { wait_click = "#edit-purpose-settings", hidden = true },
      { wait_for = { visible = "#save-purpose-settings" } },
      { wait_click = "#save-purpose-settings", hidden = true },
    ], else = [
      { wait_click = "#save-purpose-settings", hidden = true },
    ] },
  ] },
]
reject_check = { cookie_contains = "ui_cid=OPTOUT" }
"##
    );
    // autoconsent's `click` is required, chatcookie's optional unless told; `optional` kept.
    let pm = table(&text, "ac-privacymanager");
    assert!(
        pm.contains(r##"{ click = "#denyAll", hidden = true, optional = false }"##),
        "{pm}"
    );
    assert!(
        pm.contains(
            r#"{ click = "span[role=checkbox][aria-checked=true]", hidden = true, all = true },"#
        ),
        "{pm}"
    );
    assert!(
        pm.contains(r#"{ wait_for = { exists = ".purposes-overview-list" } }"#),
        "{pm}"
    );
    let aa = table(&text, "ac-aa-cookie-banner");
    assert!(
        aa.contains(r##"detect = { exists = [["adc-cookie-banner", "#cookie-banner"]] }"##),
        "{aa}"
    );
    let abrp = table(&text, "ac-abetterrouteplanner");
    assert!(
        abrp.contains(r#"reject_check = { not = { exists = '[data-testid="cookies_reject"]' } }"#),
        "{abrp}"
    );
    let europa = table(&text, "ac-europa-eu");
    let click = europa.find("wait_click").unwrap();
    let hide = europa.find("{ hide = \".cck-container\" }").unwrap();
    assert!(click < hide, "the click before the hiding: {europa}");
    let ketch = table(&text, "ac-ketch");
    assert!(
        ketch.contains(r##"detect = { any = [{ exists = "#lanyard_root div[role='dialog']" }"##),
        "{ketch}"
    );

    for (file, section) in [
        ("complianz-banner.json", "## Duplicates"),
        ("cookiealert.json", "## Needing eval"),
        ("cc-banner.json", "## Cosmetic"),
        ("hema-com.json", "## Detection too generic"),
    ] {
        let at = report.find(section).unwrap();
        let next = report[at + 3..]
            .find("\n## ")
            .map_or(report.len(), |n| at + 3 + n);
        assert!(
            report[at..next].contains(file)
                || report[at..next].contains(&file.replace(".json", "")),
            "{file} not under {section}:\n{report}"
        );
        assert!(
            !text.contains(&format!("rules/autoconsent/{file}")),
            "{file}"
        );
    }
    assert!(
        report.contains("`Complianz banner` (complianz-banner.json) → `complianz`"),
        "{report}"
    );
    assert!(report.contains("| **imported** | **6** |"), "{report}");

    // The output is a rules file chatcookie reads, and reads as meant (under other ids: the
    // embedded ones are taken).
    let text = text.replace("id = \"ac-", "id = \"t-ac-");
    let rules =
        CmpRules::with_user_texts(&[("autoconsent.toml", &text)]).unwrap_or_else(|d| panic!("{d}"));
    let gmx = rules.get("t-ac-gmx-permission").unwrap();
    assert!(!gmx.run.main && gmx.run.frame);
    assert!(gmx.run.applies(false, "https://plus.gmx.com/lt?x=1"));
    assert!(!gmx.run.applies(false, "https://plus.gmx.com/ltx"));
    assert_eq!(
        gmx.reject_check,
        Some(Condition::CookieContains("ui_cid=OPTOUT".into()))
    );
    assert!(matches!(&gmx.shown, Condition::Visible(_, Check::All)));
    let Action::If { otherwise, .. } = &gmx.reject[0].action else {
        panic!("{:?}", gmx.reject[0]);
    };
    assert!(matches!(&otherwise[0].action, Action::If { then, .. } if then.len() == 3));
    let pm = rules.get("t-ac-privacymanager").unwrap();
    let Action::If { then, .. } = &pm.reject[0].action else {
        panic!("{:?}", pm.reject[0]);
    };
    assert!(!then[0].optional && then[0].kind() == "click");
}

#[test]
fn the_embedded_rules_include_the_import_after_the_hand_written_ones() {
    let rules = CmpRules::embedded().unwrap();
    let files: Vec<&str> = rules.cmps().iter().map(|c| c.file.as_str()).collect();
    let first_imported = files
        .iter()
        .position(|f| *f == "catalog/autoconsent.toml")
        .expect("imported rules");
    assert_eq!(first_imported, 23, "the 23 hand-written rules first");
    assert!(
        files[first_imported..]
            .iter()
            .all(|f| *f == "catalog/autoconsent.toml")
    );
    let imported = &rules.cmps()[first_imported..];
    assert!(imported.len() > 150, "{}", imported.len());
    for c in imported {
        assert!(c.id.starts_with("ac-"), "{}", c.id);
        let source = c.source.as_deref().unwrap_or_default();
        assert!(
            source.starts_with("@duckduckgo/autoconsent 16.23.0 rules/autoconsent/"),
            "{}: {source}",
            c.id
        );
    }
    let text = std::fs::read_to_string(root().join("catalog/autoconsent.toml")).unwrap();
    assert!(text.contains("Mozilla Public License, v. 2.0"));
    assert!(text.contains("catalog/AUTOCONSENT-LICENSE"));
}
