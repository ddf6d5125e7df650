//! Unit tests of the consent-manager rules: the embedded files, the language as written, and
//! where a mistake in a user file is reported.

use super::*;
use crate::diagnostic::Diagnostics;

const ONE: &str = r##"
[[cmp]]
id = "acme"
name = "Acme CMP"
detect = { present = ["#acme", ["#acme-host", "#inner"]], globals = ["Acme.api"] }
shown = "#acme"
accept = [{ wait_click = ["#yes", "#ok"] }]
reject = [{ click = "#more" }, { wait_click = [["#acme-frame", "#no"]] }]
"##;

#[test]
fn every_embedded_cmp_has_detect_shown_accept_and_reject() {
    let rules = CmpRules::embedded().unwrap_or_else(|d| panic!("{d}"));
    assert!(rules.ids().len() >= 23, "{:?}", rules.ids());
    for c in rules.cmps() {
        assert!(c.accept.iter().any(RuleStep::acts), "{}", c.id);
        assert!(c.reject.iter().any(RuleStep::acts), "{}", c.id);
    }
}

#[test]
fn the_embedded_rules_cover_the_cmps_of_the_notes() {
    let rules = CmpRules::embedded().unwrap();
    for id in [
        "onetrust",
        "cookiebot",
        "didomi",
        "usercentrics",
        "quantcast",
        "trustarc",
        "complianz",
        "cookieyes",
        "klaro",
        "cookieconsent-v3",
        "cookieconsent-v2",
        "osano-cookieconsent",
        "osano",
        "iubenda",
        "axeptio",
        "borlabs",
        "termly",
        "sourcepoint",
        "consentmanager",
        "funding-choices",
        "cookie-script",
        "tarteaucitron",
        "piwik-pro",
    ] {
        assert!(rules.get(id).is_some(), "no rule for {id}");
    }
}

fn chain(s: &[&str]) -> Chain {
    Chain(s.iter().map(|x| x.to_string()).collect())
}

fn one(s: &str) -> Targets {
    Targets(vec![chain(&[s])])
}

#[test]
fn selectors_chains_and_alternatives_parse() {
    let rules = CmpRules::with_user_texts(&[("one.toml", ONE)]).unwrap();
    let acme = rules.get("acme").unwrap();
    // The old `present`/`globals` detect is any of them.
    assert_eq!(
        acme.detect,
        Condition::Any(vec![
            Condition::Exists(one("#acme")),
            Condition::Exists(Targets(vec![chain(&["#acme-host", "#inner"])])),
            Condition::Global("Acme.api".into()),
        ])
    );
    assert_eq!(acme.shown, Condition::Visible(one("#acme"), Check::Any));
    assert_eq!(
        acme.accept,
        [RuleStep::new(Action::Click(Click {
            targets: Targets(vec![chain(&["#yes"]), chain(&["#ok"])]),
            wait: true,
            hidden: false,
            all: false,
            timeout: None,
        }))]
    );
    assert_eq!(acme.reject.len(), 2);
    assert_eq!(acme.reject[0].kind(), "click");
    assert!(acme.reject[0].optional, "a plain click stays optional");
    assert_eq!(acme.reject[1].kind(), "wait_click");
    assert!(!acme.reject[1].optional);
    assert_eq!(chain(&["#a", "b"]).to_string(), "`#a >>> b`");
    assert!(rules.version().contains("+user."), "{}", rules.version());
    assert!(acme.run.main && !acme.run.frame && acme.run.url_pattern.is_none());
}

#[test]
fn a_malformed_file_is_reported_at_its_line_and_column() {
    let text = "[[cmp]]\nid = \"x\"\nname = \"X\"\ndetect = { present = \"#x\" }\nshown = \"#x\"\naccept = [{ clik = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let err = CmpRules::with_user_texts(&[("bad.toml", text)]).unwrap_err();
    let d = &err.0[0];
    assert_eq!((d.file.as_str(), d.line), ("bad.toml", 6), "{err}");
    assert!(d.column > 1, "{err}");
    assert!(d.message.contains("clik"), "{err}");

    let syntax = "[[cmp]]\nid = \"x\nname = 1\n";
    let err = CmpRules::with_user_texts(&[("syntax.toml", syntax)]).unwrap_err();
    assert_eq!(err.0[0].line, 2, "{err}");

    let empty = "[[cmp]]\nid = \"x\"\nname = \"X\"\ndetect = { present = [\"\"] }\nshown = \"#x\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let err = CmpRules::with_user_texts(&[("empty.toml", empty)]).unwrap_err();
    assert_eq!((err.0[0].line, err.0[0].column), (4, 23), "{err}");
    assert!(err.0[0].message.contains("empty CSS selector"), "{err}");
}

#[test]
fn validation_errors_point_at_the_offending_value() {
    let text = "[[cmp]]\nid = \"Bad Id\"\nname = \"X\"\ndetect = {}\nshown = []\naccept = [{ wait = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let err = CmpRules::with_user_texts(&[("v.toml", text)]).unwrap_err();
    let lines: Vec<usize> = err.0.iter().map(|d| d.line).collect();
    assert_eq!(lines, [2, 4, 5, 6], "{err}");
    assert!(err.0[3].message.contains("no step that answers"), "{err}");
    let globals = "[[cmp]]\nid = \"g\"\nname = \"G\"\ndetect = { globals = [\"ok.path\", \"not valid\"] }\nshown = \"#g\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let err = CmpRules::with_user_texts(&[("g.toml", globals)]).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(err.0[0].line, 4, "{err}");
}

#[test]
fn an_id_colliding_with_an_embedded_cmp_needs_replace() {
    let clash = "[[cmp]]\nid = \"onetrust\"\nname = \"Mine\"\ndetect = { present = \"#mine\" }\nshown = \"#mine\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let err = CmpRules::with_user_texts(&[("mine.toml", clash)]).unwrap_err();
    assert_eq!((err.0[0].line, err.0[0].column), (2, 6), "{err}");
    assert!(err.0[0].message.contains("replace = true"), "{err}");

    let replacing = clash.replace("name = \"Mine\"", "name = \"Mine\"\nreplace = true");
    let rules = CmpRules::with_user_texts(&[("mine.toml", &replacing)]).unwrap();
    let embedded = CmpRules::embedded().unwrap();
    assert_eq!(rules.ids(), embedded.ids(), "replaced in place");
    assert_eq!(rules.get("onetrust").unwrap().name, "Mine");
    assert_eq!(rules.get("onetrust").unwrap().file, "mine.toml");

    let nothing = replacing.replace("onetrust", "nosuchcmp");
    let err = CmpRules::with_user_texts(&[("n.toml", &nothing)]).unwrap_err();
    assert!(err.0[0].message.contains("no CMP `nosuchcmp`"), "{err}");

    let twice = format!("{ONE}\n{ONE}");
    let err = CmpRules::with_user_texts(&[("t.toml", &twice)]).unwrap_err();
    assert!(err.0[0].message.contains("defined twice"), "{err}");
}

#[test]
fn user_files_are_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, ONE).unwrap();
    let rules = CmpRules::with_user_files(&[&path]).unwrap();
    assert_eq!(rules.ids().last(), Some(&"acme"));
    let missing = CmpRules::with_user_files(&[dir.path().join("nope.toml")]).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
    std::fs::write(&path, "[[cmp]]\nid = 3\n").unwrap();
    let err = CmpRules::with_user_files(&[&path]).unwrap_err();
    assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    let d = err
        .chain()
        .find_map(|c| c.downcast_ref::<Diagnostics>())
        .expect("diagnostics");
    assert_eq!(d.0[0].line, 2);
    assert!(err.to_string().contains("rules.toml:2:6"), "{err}");
}

const RICH: &str = r##"
[[cmp]]
id = "rich"
name = "Rich"
source = "autoconsent 16.23.0 rules/autoconsent/rich.json"
main = false
frame = true
url_pattern = '^https://consent\.rich\.example/'
detect = { all = [{ exists = "#rich" }, { not = { cookie_contains = "rich_choice=" } }] }
shown = { any = [{ visible = "#rich .banner", check = "all" }, { visible = ["xpath///div[@id='rich']"], check = "none" }] }
accept = [
  { wait_for = { visible = [["#host", "button.ok"]] }, timeout = 2000 },
  { pause = 300 },
  { wait_click = "#ok", hidden = true, timeout = 1500 },
]
reject = [
  { if = { exists = "#deny" }, then = [{ click = "#deny", optional = false }], else = [
    { wait_click = "#settings" },
    { click = "input:checked", all = true, hidden = true },
    { any = [{ click = ".save", optional = false }, { wait_click = ".close" }] },
  ] },
  { hide = "#rich-overlay", optional = true },
]
reject_check = { cookie_contains = "rich_choice=0" }
"##;

#[test]
fn conditions_steps_and_run_context_parse() {
    let rules = CmpRules::with_user_texts(&[("rich.toml", RICH)]).unwrap();
    let r = rules.get("rich").unwrap();
    assert_eq!(
        r.source.as_deref(),
        Some("autoconsent 16.23.0 rules/autoconsent/rich.json")
    );
    assert!(!r.run.main && r.run.frame);
    assert!(r.run.applies(false, "https://consent.rich.example/x"));
    assert!(!r.run.applies(false, "https://elsewhere.example/"));
    assert!(!r.run.applies(true, "https://consent.rich.example/x"));
    assert_eq!(
        r.detect,
        Condition::All(vec![
            Condition::Exists(one("#rich")),
            Condition::Not(Box::new(Condition::CookieContains("rich_choice=".into()))),
        ])
    );
    assert_eq!(
        r.shown,
        Condition::Any(vec![
            Condition::Visible(one("#rich .banner"), Check::All),
            Condition::Visible(one("xpath///div[@id='rich']"), Check::None),
        ])
    );
    let kinds: Vec<&str> = r.accept.iter().map(RuleStep::kind).collect();
    assert_eq!(kinds, ["wait_for", "pause", "wait_click"]);
    assert_eq!(
        r.accept[0].action,
        Action::WaitFor(
            Condition::Visible(Targets(vec![chain(&["#host", "button.ok"])]), Check::Any),
            Some(Duration::from_millis(2000))
        )
    );
    assert_eq!(
        r.accept[1].action,
        Action::Pause(Duration::from_millis(300))
    );
    match &r.accept[2].action {
        Action::Click(c) => {
            assert!(c.wait && c.hidden && !c.all);
            assert_eq!(c.timeout, Some(Duration::from_millis(1500)));
        }
        other => panic!("{other:?}"),
    }
    let Action::If {
        condition,
        then,
        otherwise,
    } = &r.reject[0].action
    else {
        panic!("{:?}", r.reject[0]);
    };
    assert_eq!(condition, &Condition::Exists(one("#deny")));
    assert!(!then[0].optional, "optional = false makes a click required");
    assert_eq!(otherwise.len(), 3);
    assert!(matches!(&otherwise[1].action, Action::Click(c) if c.all && c.hidden));
    assert!(otherwise[1].optional);
    assert!(matches!(&otherwise[2].action, Action::Any(s) if s.len() == 2));
    assert!(r.reject[0].acts());
    assert!(r.reject[1].optional && r.reject[1].kind() == "hide");
    assert_eq!(
        r.check(true),
        Some(&Condition::CookieContains("rich_choice=0".into()))
    );
    assert_eq!(r.check(false), None);
    assert_eq!(
        r.detect.to_string(),
        "all of (`#rich` exists, not (cookie contains \"rich_choice=\"))"
    );
}

/// The diagnostics of `body` as a user file after a valid header: (line, column, message).
fn errors(body: &str) -> Vec<(usize, usize, String)> {
    let text = format!("[[cmp]]\nid = \"e\"\nname = \"E\"\n{body}");
    match CmpRules::with_user_texts(&[("e.toml", &text)]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(d) => {
            d.0.into_iter()
                .map(|e| (e.line, e.column, e.message))
                .collect()
        }
    }
}

#[test]
fn new_constructs_are_rejected_at_their_line_and_column() {
    let ok = "shown = \"#x\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
    let cases: &[(&str, usize, usize, &str)] = &[
        // A condition with two kinds.
        (
            "detect = { exists = \"#x\", global = \"X\" }\n",
            4,
            10,
            "exists and global",
        ),
        (
            "detect = { visible = \"#x\", check = \"some\" }\n",
            4,
            36,
            "some",
        ),
        (
            "detect = { check = \"all\", exists = \"#x\" }\n",
            4,
            10,
            "`check` goes with `visible`",
        ),
        (
            "detect = { present = \"#x\", exists = \"#y\" }\n",
            4,
            10,
            "not both",
        ),
        ("detect = { all = [] }\n", 4, 10, "at least one condition"),
        ("detect = { not = { exist = \"#x\" } }\n", 4, 20, "exist"),
        ("detect = { exists = \"xpath/ \" }\n", 4, 21, "empty XPath"),
        (
            "detect = { global = \"not valid\" }\n",
            4,
            10,
            "not a global name",
        ),
        (
            "detect = {}\n",
            4,
            10,
            "needs `present` selectors or `globals`",
        ),
    ];
    for (detect, line, column, message) in cases {
        let got = errors(&format!("{detect}{ok}"));
        assert_eq!(got.len(), 1, "{detect}: {got:?}");
        assert_eq!((got[0].0, got[0].1), (*line, *column), "{detect}: {got:?}");
        assert!(got[0].2.contains(message), "{detect}: {got:?}");
    }
    let detect = "detect = { exists = \"#x\" }\nshown = \"#x\"\n";
    let steps: &[(&str, &str)] = &[
        (
            "{ wait_click = \"#a\", click = \"#b\" }",
            "wait_click and click",
        ),
        ("{ if = { exists = \"#a\" } }", "needs `then`"),
        ("{ then = [{ click = \"#a\" }] }", "go with `if`"),
        ("{ pause = 100, hidden = true }", "not `pause`"),
        ("{ click = \"#a\", timeout = 100 }", "not `click`"),
        ("{ pause = -1 }", "invalid value"),
        ("{ any = [] }", "at least one step"),
        ("{ optional = true }", "a step needs one of"),
        (
            "{ wait_for = { visible = \"#a\", chek = \"all\" } }",
            "chek",
        ),
    ];
    for (step, message) in steps {
        let got = errors(&format!(
            "{detect}accept = [\n  {step},\n]\nreject = [{{ click = \"#b\" }}]\n"
        ));
        assert_eq!(got[0].0, 7, "{step}: {got:?}");
        assert!(got[0].1 >= 3, "{step}: {got:?}");
        assert!(got[0].2.contains(message), "{step}: {got:?}");
    }
    // Where a rule runs.
    let got = errors(&format!("url_pattern = \"(\"\n{detect}{}", &ok[13..]));
    assert_eq!((got[0].0, got[0].1), (4, 15), "{got:?}");
    assert!(
        got[0].2.contains("not a valid regular expression"),
        "{got:?}"
    );
    let got = errors(&format!("main = false\n{detect}{}", &ok[13..]));
    assert_eq!((got[0].0, got[0].1), (4, 8), "{got:?}");
    assert!(got[0].2.contains("run nowhere"), "{got:?}");
    let got = errors(
        "frame = true\ndetect = { global = \"X\" }\nshown = \"#x\"\naccept = [{ eval = \"1\" }]\nreject = [{ click = \"#b\" }]\n",
    );
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].0, got[0].2.contains("`detect`")),
        (5, true),
        "{got:?}"
    );
    assert_eq!(
        (got[1].0, got[1].2.contains("`eval` step")),
        (7, true),
        "{got:?}"
    );
    // A sequence whose only click is inside a branch still answers; one with none does not.
    let got = errors(&format!(
        "{detect}accept = [{{ if = {{ exists = \"#a\" }}, then = [{{ pause = 1 }}] }}]\nreject = [{{ any = [{{ click = \"#b\" }}] }}]\n"
    ));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 6, "{got:?}");
    assert!(got[0].2.contains("no step that answers"), "{got:?}");
}
