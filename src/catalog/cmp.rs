//! Consent-manager rules as written in `catalog/cmps.toml` and user files: parsing and validation.

use crate::diagnostic::{Diagnostic, Diagnostics};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// The embedded rules file, as shown in diagnostics.
const EMBEDDED_FILE: &str = "catalog/cmps.toml";
const EMBEDDED_TEXT: &str = include_str!("../../catalog/cmps.toml");

/// CSS selectors, each searched inside the previous match: in its shadow root, in its frame's
/// document when the match is an `<iframe>`, else among its descendants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain(pub Vec<String>);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `>>>` is how shadow-piercing chains are commonly written (Puppeteer, Playwright).
        write!(f, "`{}`", self.0.join(" >>> "))
    }
}

/// Alternative selector chains, in order of preference. In a rules file: a selector (a one-selector
/// chain), or a list whose items are selectors or chains (lists of selectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<Chain>);

impl Targets {
    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        self.0.iter()
    }
}

/// One step of an accept or reject sequence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Wait (bounded) until one alternative is visible and enabled, then click the first such.
    WaitClick(Targets),
    /// Click the first visible, enabled alternative if there is one; go on either way.
    Click(Targets),
    /// Wait (bounded) until one alternative is present.
    Wait(Targets),
    /// Evaluate JavaScript in the page; the step fails if it throws or returns `false`.
    Eval(String),
    /// Hide every match (cosmetic: an overlay that outlives the answer); never fails.
    Hide(Targets),
}

impl Step {
    /// The step's name as written in a rules file.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::WaitClick(_) => "wait_click",
            Step::Click(_) => "click",
            Step::Wait(_) => "wait",
            Step::Eval(_) => "eval",
            Step::Hide(_) => "hide",
        }
    }

    /// True for the steps that answer the banner (a click or a script).
    fn acts(&self) -> bool {
        matches!(self, Step::WaitClick(_) | Step::Click(_) | Step::Eval(_))
    }
}

/// How a consent manager is recognised on a page: any chain present, or any global defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detect {
    pub present: Targets,
    /// Window properties; dotted paths allowed (`Cookiebot.dialog`).
    pub globals: Vec<String>,
}

/// One consent manager and how to answer its banner.
#[derive(Debug, Clone)]
pub struct Cmp {
    pub id: String,
    pub name: String,
    pub detect: Detect,
    /// Its banner is showing when any of these is visible.
    pub shown: Targets,
    pub accept: Vec<Step>,
    pub reject: Vec<Step>,
    /// The CMP's own record of the visitor's choice: its keys, and how to read the choice.
    pub record: Option<Record>,
    /// The file it was loaded from.
    pub file: String,
}

/// Where a CMP keeps the visitor's answer (`record = { keys = [...], choice = "..." }`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The cookie or storage names holding the record (strictly necessary: they store the
    /// choice itself).
    #[serde(default)]
    pub keys: Vec<String>,
    /// A JavaScript expression, evaluated in the page, that reads the recorded choice:
    /// `"accept"` (everything), `"reject"` (only what is strictly necessary), `"partial"`, or
    /// null while nothing is recorded.
    pub choice: Option<String>,
}

impl Cmp {
    /// The accept or the reject sequence.
    pub fn steps(&self, reject: bool) -> &[Step] {
        if reject { &self.reject } else { &self.accept }
    }
}

/// The consent-manager rules: the embedded ones, plus any user files. Cloning is cheap.
#[derive(Clone)]
pub struct CmpRules {
    cmps: Arc<[Cmp]>,
    version: String,
}

impl fmt::Debug for CmpRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CmpRules")
            .field("version", &self.version)
            .field("ids", &self.ids())
            .finish()
    }
}

/// In a report the rules are named by their version (content hashes), not repeated.
impl Serialize for CmpRules {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.version)
    }
}

/// A rules file's name and text.
struct RulesText {
    file: String,
    text: String,
}

impl CmpRules {
    /// The rules compiled into the binary (`catalog/cmps.toml`).
    pub fn embedded() -> Result<CmpRules, Diagnostics> {
        Self::build(&[embedded_text()], &[])
    }

    /// The embedded rules plus the user's files, in order. A user entry whose id is already
    /// defined must say `replace = true`.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> anyhow::Result<CmpRules> {
        let mut user = Vec::new();
        for p in paths {
            let p = p.as_ref();
            user.push(RulesText {
                file: p.display().to_string(),
                text: super::read_text(p)?,
            });
        }
        Ok(Self::build(&[embedded_text()], &user)?)
    }

    /// The embedded rules plus user files given as text (for tests and callers without files).
    pub fn with_user_texts(texts: &[(&str, &str)]) -> Result<CmpRules, Diagnostics> {
        let user: Vec<RulesText> = texts
            .iter()
            .map(|(file, text)| RulesText {
                file: file.to_string(),
                text: text.to_string(),
            })
            .collect();
        Self::build(&[embedded_text()], &user)
    }

    /// Every CMP id, in the order candidates are tried.
    pub fn ids(&self) -> Vec<&str> {
        self.cmps.iter().map(|c| c.id.as_str()).collect()
    }

    pub fn cmps(&self) -> &[Cmp] {
        &self.cmps
    }

    /// The CMP with this id.
    pub fn get(&self, id: &str) -> Option<&Cmp> {
        self.cmps.iter().find(|c| c.id == id)
    }

    /// `cmps.<hash>` of the embedded file, plus `+user.<hash>` when user files were added.
    pub fn version(&self) -> &str {
        &self.version
    }

    fn build(embedded: &[RulesText], user: &[RulesText]) -> Result<CmpRules, Diagnostics> {
        let mut cmps: Vec<Cmp> = Vec::new();
        let mut errors = Vec::new();
        for (i, t) in embedded.iter().chain(user).enumerate() {
            let is_user = i >= embedded.len();
            let parsed = match parse_file(&t.file, &t.text) {
                Ok(p) => p,
                Err(mut d) => {
                    errors.append(&mut d.0);
                    continue;
                }
            };
            for (cmp, replace, id_span) in parsed {
                let at = |msg: String| Diagnostic::at(&t.file, &t.text, id_span.clone(), msg);
                match cmps.iter().position(|c| c.id == cmp.id) {
                    Some(pos) if replace && is_user => cmps[pos] = cmp,
                    Some(pos) => errors.push(at(format!(
                        "CMP id `{}` is already defined in {}; set `replace = true` to replace it",
                        cmp.id, cmps[pos].file
                    ))),
                    None if replace => errors.push(at(format!(
                        "`replace = true`, but no CMP `{}` is defined before this file",
                        cmp.id
                    ))),
                    None => cmps.push(cmp),
                }
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        let mut version = format!("cmps.{}", short_hash(embedded));
        if !user.is_empty() {
            version.push_str(&format!("+user.{}", short_hash(user)));
        }
        Ok(CmpRules {
            cmps: cmps.into(),
            version,
        })
    }
}

fn embedded_text() -> RulesText {
    RulesText {
        file: EMBEDDED_FILE.into(),
        text: EMBEDDED_TEXT.into(),
    }
}

fn short_hash(texts: &[RulesText]) -> String {
    super::files_hash(texts.iter().map(|t| (t.file.as_str(), t.text.as_str())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    cmp: Vec<RawCmp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCmp {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    replace: bool,
    detect: Spanned<RawDetect>,
    shown: Spanned<Targets>,
    accept: Spanned<Vec<Step>>,
    reject: Spanned<Vec<Step>>,
    #[serde(default)]
    record: Option<Record>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    #[serde(default)]
    present: Option<Targets>,
    #[serde(default)]
    globals: Vec<Spanned<String>>,
}

/// Parses and validates one rules file: each CMP with its `replace` flag and the span of its id.
fn parse_file(file: &str, text: &str) -> Result<Vec<(Cmp, bool, Range<usize>)>, Diagnostics> {
    let raw: RulesFile = toml::from_str(text)
        .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
    let mut errors = Vec::new();
    let mut out: Vec<(Cmp, bool, Range<usize>)> = Vec::new();
    let at = |span: Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    for c in raw.cmp {
        let id = c.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            errors.push(at(
                c.id.span(),
                format!("CMP id `{id}` must be lowercase letters, digits and `-`"),
            ));
        }
        if out.iter().any(|(o, _, _)| o.id == id) {
            errors.push(at(
                c.id.span(),
                format!("CMP id `{id}` is defined twice in this file"),
            ));
        }
        if c.name.get_ref().trim().is_empty() {
            errors.push(at(c.name.span(), "`name` is empty".into()));
        }
        let detect_span = c.detect.span();
        let detect = c.detect.into_inner();
        let present = detect.present.unwrap_or(Targets(Vec::new()));
        if present.0.is_empty() && detect.globals.is_empty() {
            errors.push(at(
                detect_span,
                "`detect` needs `present` selectors or `globals`".into(),
            ));
        }
        for g in &detect.globals {
            if !is_global_path(g.get_ref()) {
                errors.push(at(
                    g.span(),
                    format!(
                        "`{}` is not a global name or dotted path (e.g. `Cookiebot` or `UC_UI.isInitialized`)",
                        g.get_ref()
                    ),
                ));
            }
        }
        if c.shown.get_ref().0.is_empty() {
            errors.push(at(
                c.shown.span(),
                "`shown` needs at least one selector".into(),
            ));
        }
        for (name, seq) in [("accept", &c.accept), ("reject", &c.reject)] {
            if !seq.get_ref().iter().any(Step::acts) {
                errors.push(at(
                    seq.span(),
                    format!(
                        "`{name}` has no step that answers the banner (wait_click, click or eval)"
                    ),
                ));
            }
            for step in seq.get_ref() {
                let empty = match step {
                    Step::WaitClick(t) | Step::Click(t) | Step::Wait(t) | Step::Hide(t) => {
                        t.0.is_empty()
                    }
                    Step::Eval(js) => js.trim().is_empty(),
                };
                if empty {
                    errors.push(at(
                        seq.span(),
                        format!("`{name}`: a `{}` step is empty", step.kind()),
                    ));
                }
            }
        }
        out.push((
            Cmp {
                id,
                name: c.name.into_inner(),
                detect: Detect {
                    present,
                    globals: detect
                        .globals
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect(),
                },
                shown: c.shown.into_inner(),
                accept: c.accept.into_inner(),
                reject: c.reject.into_inner(),
                record: c.record,
                file: file.to_string(),
            },
            c.replace,
            c.id.span(),
        ));
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(out)
}

/// `Name` or `Name.sub.path`, each part a JavaScript identifier.
fn is_global_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

/// A selector as written: non-empty once trimmed.
fn selector<E: de::Error>(s: &str) -> Result<String, E> {
    let t = s.trim();
    if t.is_empty() {
        return Err(E::custom("empty CSS selector"));
    }
    Ok(t.to_string())
}

impl<'de> Deserialize<'de> for Chain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChainVisitor;
        impl<'de> Visitor<'de> for ChainVisitor {
            type Value = Chain;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CSS selector, or a list of CSS selectors (a chain)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Chain, E> {
                Ok(Chain(vec![selector(s)?]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chain, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(selector(&s)?);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("empty selector chain"));
                }
                Ok(Chain(out))
            }
        }
        d.deserialize_any(ChainVisitor)
    }
}

impl<'de> Deserialize<'de> for Targets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TargetsVisitor;
        impl<'de> Visitor<'de> for TargetsVisitor {
            type Value = Targets;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a CSS selector, or a list of alternatives (selectors, or chains written as lists of selectors)",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Targets, E> {
                Ok(Targets(vec![Chain(vec![selector(s)?])]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Targets, A::Error> {
                let mut out = Vec::new();
                while let Some(c) = seq.next_element::<Chain>()? {
                    out.push(c);
                }
                Ok(Targets(out))
            }
        }
        d.deserialize_any(TargetsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(
                !c.detect.present.0.is_empty() || !c.detect.globals.is_empty(),
                "{}",
                c.id
            );
            assert!(!c.shown.0.is_empty(), "{}", c.id);
            assert!(c.accept.iter().any(Step::acts), "{}", c.id);
            assert!(c.reject.iter().any(Step::acts), "{}", c.id);
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

    #[test]
    fn selectors_chains_and_alternatives_parse() {
        let rules = CmpRules::with_user_texts(&[("one.toml", ONE)]).unwrap();
        let acme = rules.get("acme").unwrap();
        assert_eq!(acme.detect.present.0.len(), 2);
        assert_eq!(acme.detect.present.0[1].0, ["#acme-host", "#inner"]);
        assert_eq!(acme.shown.0, [Chain(vec!["#acme".into()])]);
        assert_eq!(
            acme.accept,
            [Step::WaitClick(Targets(vec![
                Chain(vec!["#yes".into()]),
                Chain(vec!["#ok".into()])
            ]))]
        );
        assert_eq!(acme.reject.len(), 2);
        assert_eq!(acme.reject[1].kind(), "wait_click");
        assert_eq!(
            Chain(vec!["#a".into(), "b".into()]).to_string(),
            "`#a >>> b`"
        );
        assert!(rules.version().contains("+user."), "{}", rules.version());
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
        let d = err.downcast_ref::<Diagnostics>().expect("diagnostics");
        assert_eq!(d.0[0].line, 2);
        assert!(err.to_string().contains("rules.toml:2:6"), "{err}");
    }
}
