//! Tests of the rule list against what documents it by hand: docs/rules.md, the JSON report schema, docs/store.md and the README.

use crate::vocab::Rule;

fn doc(path: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The cells of each row of the first table after the line `heading`.
fn table(md: &str, heading: &str) -> Vec<Vec<String>> {
    md.lines()
        .skip_while(|l| *l != heading)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and its rule
        .map(|row| {
            row.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The table at a glance is the rules' own descriptions: on a mismatch, the expected table is
/// printed to paste in.
#[test]
fn the_rule_docs_glance_table_is_every_rule_with_its_files_description() {
    let expected: Vec<String> = Rule::ALL
        .iter()
        .map(|r| format!("| `{}` | {} |", r.id(), r.description()))
        .collect();
    let md = doc("docs/rules.md");
    let got: Vec<String> = table(&md, "## The rules at a glance")
        .iter()
        .map(|cells| format!("| {} |", cells.join(" | ")))
        .collect();
    assert_eq!(
        got,
        expected,
        "docs/rules.md, \"The rules at a glance\", should read:\n{}",
        expected.join("\n")
    );
}

#[test]
fn the_rule_docs_table_has_one_row_per_rule_in_the_lists_order() {
    let md = doc("docs/rules.md");
    let ids: Vec<String> = table(&md, "## The rules")
        .into_iter()
        .map(|cells| cells[0].trim_matches('`').to_string())
        .collect();
    assert_eq!(ids, Rule::NAMES);
}

#[test]
fn the_report_schema_names_exactly_the_rules() {
    let schema: serde_json::Value = serde_json::from_str(&doc("docs/report.schema.json")).unwrap();
    let names: Vec<&str> = schema["$defs"]["finding"]["properties"]["rule"]["enum"]
        .as_array()
        .expect("the finding's rule is an enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, Rule::NAMES);
}

/// docs/store.md's `rule` column and the README's rule table name every rule (the README groups
/// the informational ones in one row).
#[test]
fn the_store_docs_and_the_readme_name_every_rule() {
    let store = doc("docs/store.md");
    let column = store
        .lines()
        .find(|l| l.starts_with("| `rule` |"))
        .expect("docs/store.md documents the rule column");
    let readme = doc("README.md");
    let rows = table(&readme, "| rule | severity | fires when |");
    let mut in_readme: Vec<&str> = rows
        .iter()
        .flat_map(|cells| cells[0].split(", "))
        .map(|c| c.trim_matches('`'))
        .collect();
    in_readme.sort_unstable();
    let mut names = Rule::NAMES.to_vec();
    names.sort_unstable();
    assert_eq!(in_readme, names, "README.md's rule table");
    for id in Rule::NAMES {
        assert!(
            column.contains(&format!("`{id}`")),
            "docs/store.md's rule column lacks {id}"
        );
    }
}
