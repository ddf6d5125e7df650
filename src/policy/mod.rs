//! The site's policy file, `chatcookie.toml`: what to scan, which keys the site declares, how it weighs the rules, and the gate.

mod scan_table;

pub use scan_table::ScanTable;

use crate::catalog::pattern::Pattern;
use crate::catalog::{Catalog, Category, DeclaredDuration, read_text};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::Error;
use crate::observation::Observation;
use crate::scan::{OptionsError, ScanOptions, Settings};
use crate::vocab::{FailOn, Rule, Severity, Step, StorageKind};
use scan_table::{At, RawScan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The `[gate]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSection {
    /// Rule ids and/or a severity (`info`, `low`, `medium`, `high`) that fail the check.
    pub fail_on: Option<Spanned<Vec<String>>>,
    /// A previous JSON report: only findings not in it fail the check.
    pub baseline: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeclaration {
    name: Spanned<String>,
    storage: Option<StorageKind>,
    vendor: Option<Spanned<String>>,
    earliest_step: Option<Step>,
    max_lifetime: Option<Spanned<String>>,
    purpose: Spanned<String>,
    category: Option<Category>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHostDeclaration {
    name: Spanned<String>,
    vendor: Option<Spanned<String>>,
    purpose: Spanned<String>,
    category: Option<Category>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    gate: GateSection,
    /// `rule-id = "severity"`: the site's own weighing of a rule, recorded on each finding.
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    declare: Vec<RawDeclaration>,
    #[serde(default)]
    host: Vec<RawHostDeclaration>,
}

/// A host the site declares its pages contact (`[[host]]`): `name` is a host (`fonts.example.net`)
/// or `*.` and a domain (`*.example.net`, the domain and every host under it).
#[derive(Debug, Clone)]
pub struct HostDeclaration {
    pub name: String,
    pub vendor: Option<String>,
    pub purpose: String,
    /// `strictly-necessary` exempts a third party that is no chat vendor from
    /// `transfer-before-consent`; a chat vendor's host is necessary only once the visitor asks
    /// for the chat, whatever is declared.
    pub category: Option<Category>,
    /// 1-based line of its `name`.
    pub line: usize,
}

impl HostDeclaration {
    /// Whether `host` (no port) is this declaration's.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self.name.strip_prefix("*.") {
            Some(domain) => {
                host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            None => host == self.name,
        }
    }
}

/// A rule whose findings the policy gives another severity (the `[severity]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityOverride {
    pub severity: Severity,
    /// The line of the override in the policy file, for the finding's reason.
    pub line: usize,
}

/// A key the site declares.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub pattern: Pattern,
    pub storage: Option<StorageKind>,
    pub vendor: Option<String>,
    /// The first step at which the key may exist.
    pub earliest_step: Step,
    pub max_lifetime: Option<DeclaredDuration>,
    pub purpose: String,
    pub category: Option<Category>,
    /// Where it is written: 1-based line of its `name`, for diagnostics and annotations.
    pub line: usize,
    pub span: Range<usize>,
}

/// A loaded and validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub path: PathBuf,
    /// What to scan.
    pub scan: ScanTable,
    /// How to scan it: the `[scan]` table's settings, checked, its paths resolved against the
    /// policy file's directory.
    pub settings: Settings,
    pub gate: GateSection,
    pub declarations: Vec<Declaration>,
    /// Rules the site weighs differently than chatcookie does.
    pub severities: BTreeMap<Rule, SeverityOverride>,
    /// The hosts it declares (`[[host]]`).
    pub hosts: Vec<HostDeclaration>,
    text: String,
}

/// A diagnostic at a `vendor = "…"` the catalog does not know, listing the ids it does.
fn unknown_vendor(
    catalog: &Catalog,
    vendor: Option<&Spanned<String>>,
    at: At<'_>,
) -> Option<Diagnostic> {
    let v = vendor.filter(|v| catalog.vendor(v.get_ref()).is_none())?;
    let known: Vec<&str> = catalog.vendors.iter().map(|v| v.id.as_str()).collect();
    Some(at(
        v.span(),
        format!(
            "unknown vendor `{}` (the catalog has: {})",
            v.get_ref(),
            known.join(", ")
        ),
    ))
}

/// The line of a place in the policy text (1-based).
type Line<'a> = &'a dyn Fn(&Range<usize>) -> usize;

/// The `[[declare]]` entries checked: the declarations, every problem a diagnostic.
fn declarations(
    raw: Vec<RawDeclaration>,
    catalog: &Catalog,
    at: At<'_>,
    line: Line<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Declaration> {
    let mut declarations = Vec::new();
    for d in raw {
        let pattern = match Pattern::parse(d.name.get_ref()) {
            Ok(p) => p,
            Err(e) => {
                errors.push(at(
                    d.name.span(),
                    format!("invalid key pattern `{}`: {e}", d.name.get_ref()),
                ));
                continue;
            }
        };
        errors.extend(unknown_vendor(catalog, d.vendor.as_ref(), at));
        let max_lifetime = match &d.max_lifetime {
            None => None,
            Some(m) => match DeclaredDuration::parse(m.get_ref()) {
                Ok(DeclaredDuration::Unspecified) => None,
                Ok(x) => Some(x),
                Err(e) => {
                    errors.push(at(m.span(), e.to_string()));
                    None
                }
            },
        };
        if d.purpose.get_ref().trim().is_empty() {
            errors.push(at(
                d.purpose.span(),
                "empty purpose: say why the site stores this key".into(),
            ));
        }
        let span = d.name.span();
        declarations.push(Declaration {
            pattern,
            storage: d.storage,
            vendor: d.vendor.map(|v| v.into_inner()),
            earliest_step: d.earliest_step.unwrap_or(Step::Load),
            max_lifetime,
            purpose: d.purpose.into_inner(),
            category: d.category,
            line: line(&span),
            span,
        });
    }
    declarations
}

/// The `[severity]` table checked.
fn severities(
    raw: &BTreeMap<Spanned<String>, Spanned<String>>,
    at: At<'_>,
    line: Line<'_>,
    errors: &mut Vec<Diagnostic>,
) -> BTreeMap<Rule, SeverityOverride> {
    let mut severities = BTreeMap::new();
    for (rule, severity) in raw {
        let line = line(&rule.span());
        let parsed_rule =
            (rule.get_ref().parse::<Rule>()).map_err(|e| at(rule.span(), e.to_string()));
        let parsed_severity = (severity.get_ref().parse::<Severity>())
            .map_err(|e| at(severity.span(), e.to_string()));
        match (parsed_rule, parsed_severity) {
            (Ok(r), Ok(s)) => {
                severities.insert(r, SeverityOverride { severity: s, line });
            }
            (r, s) => errors.extend(r.err().into_iter().chain(s.err())),
        }
    }
    severities
}

/// The `[[host]]` entries checked.
fn hosts(
    raw: Vec<RawHostDeclaration>,
    catalog: &Catalog,
    at: At<'_>,
    line: Line<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<HostDeclaration> {
    let mut hosts = Vec::new();
    for h in raw {
        let name = h.name.get_ref().trim().to_ascii_lowercase();
        let bare = name.strip_prefix("*.").unwrap_or(&name);
        if bare.is_empty()
            || bare.contains(['/', ':', '*', ' '])
            || crate::vocab::host_of(&format!("http://{bare}/")).as_deref() != Some(bare)
        {
            errors.push(at(
                h.name.span(),
                format!(
                    "invalid host `{}`: a host name (`fonts.example.net`) or `*.` and a domain (`*.example.net`), without scheme, port or path",
                    h.name.get_ref()
                ),
            ));
            continue;
        }
        errors.extend(unknown_vendor(catalog, h.vendor.as_ref(), at));
        if h.purpose.get_ref().trim().is_empty() {
            errors.push(at(
                h.purpose.span(),
                "empty purpose: say why the site's pages contact this host".into(),
            ));
        }
        let span = h.name.span();
        hosts.push(HostDeclaration {
            name,
            vendor: h.vendor.map(|v| v.into_inner()),
            purpose: h.purpose.into_inner(),
            category: h.category,
            line: line(&span),
        });
    }
    hosts
}

impl Policy {
    /// Reads and validates a policy; every problem is reported with its line and column.
    pub fn load(path: &Path, catalog: &Catalog) -> crate::error::Result<Policy> {
        let text = read_text(path)?;
        Ok(Self::parse(&path.display().to_string(), &text, catalog)?.with_path(path))
    }

    fn with_path(mut self, path: &Path) -> Self {
        self.path = path.to_path_buf();
        self
    }

    /// Parses policy text (`file` names it in diagnostics): the policy, every value checked
    /// once (as cargo-deny's `ValidConfig`), or every problem with its line and column.
    pub fn parse(file: &str, text: &str, catalog: &Catalog) -> Result<Policy, Diagnostics> {
        let raw: PolicyFile = toml::from_str(text)
            .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
        let mut errors = Vec::new();
        let at = |span: Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
        let path = PathBuf::from(file);
        let base = path.parent().unwrap_or(Path::new("."));
        let (scan, settings) = raw.scan.validate(base, &at, &mut errors);
        if let Some(f) = &raw.gate.fail_on
            && let Err(e) = crate::vocab::FailOn::parse(&f.get_ref().join(","))
        {
            errors.push(at(f.span(), e.to_string()));
        }
        let line = |span: &Range<usize>| text[..span.start].matches('\n').count() + 1;
        let declarations = declarations(raw.declare, catalog, &at, &line, &mut errors);
        let severities = severities(&raw.severity, &at, &line, &mut errors);
        let hosts = hosts(raw.host, catalog, &at, &line, &mut errors);
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        Ok(Policy {
            path,
            scan,
            settings,
            gate: raw.gate,
            declarations,
            severities,
            hosts,
            text: text.to_string(),
        })
    }

    /// The declaration that covers an observation: matching name (exact first, then the longest
    /// literal part, then file order) and, where the declaration says, the same storage and vendor.
    pub fn declaration_for(&self, o: &Observation) -> Option<(usize, &Declaration)> {
        self.declarations
            .iter()
            .enumerate()
            .filter(|(_, d)| d.pattern.is_match(&o.name))
            .filter(|(_, d)| d.storage.is_none_or(|s| s == o.storage))
            .filter(|(_, d)| d.vendor.is_none() || d.vendor.as_deref() == o.attribution.vendor())
            .min_by_key(|(i, d)| {
                (
                    !d.pattern.is_exact(),
                    std::cmp::Reverse(d.pattern.literal_len()),
                    *i,
                )
            })
    }

    /// The host declaration covering `host`: an exact name first, then the longest domain.
    pub fn host_declaration_for(&self, host: &str) -> Option<&HostDeclaration> {
        self.hosts
            .iter()
            .filter(|d| d.matches(host))
            .max_by_key(|d| (!d.name.starts_with("*."), d.name.len()))
    }

    /// A diagnostic pointing at a declaration (for stale declarations).
    pub fn point_at(&self, d: &Declaration, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(
            &self.path.display().to_string(),
            &self.text,
            d.span.clone(),
            message,
        )
    }

    /// A path from the policy, resolved against the policy file's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let base = self.path.parent().unwrap_or(Path::new("."));
        base.join(p)
    }

    /// The scan the `[scan]` table describes, every option it leaves out at its default
    /// (`scan::defaults`, as the command line's); paths are relative to the policy file.
    pub fn scan_options(&self) -> Result<ScanOptions, Error> {
        self.settings.options().map_err(|e| match e {
            OptionsError::Files(e) => Error::input(e),
            e => Error::usage(format!("{}: [scan]: {e}", self.path.display())),
        })
    }

    /// The gate's settings: the command line's `--fail-on` and `--baseline` over the `[gate]`
    /// table's (its baseline relative to the policy file), else failing on `high`.
    pub fn gate_over(
        &self,
        fail_on: Option<FailOn>,
        baseline: Option<PathBuf>,
    ) -> Result<(FailOn, Option<PathBuf>), Error> {
        let fail_on = match (fail_on, &self.gate.fail_on) {
            (Some(f), _) => f,
            (None, Some(f)) => FailOn::parse(&f.get_ref().join(",")).map_err(Error::usage)?,
            (None, None) => FailOn::parse("high").expect("a valid severity"),
        };
        let baseline = baseline.or_else(|| self.gate.baseline.as_ref().map(|b| self.resolve(b)));
        Ok((fail_on, baseline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::embedded().unwrap()
    }

    const GOOD: &str = r##"
[scan]
urls = ["https://www.example.com/"]
consent_click = "#cc-accept"
step_timeout = "5s"

[gate]
fail_on = ["undeclared", "high"]

[[declare]]
name = "twk_uuid_{propertyId}"
storage = "cookie"
vendor = "tawkto"
earliest_step = "consent"
max_lifetime = "6 months"
purpose = "Recognises returning chat visitors."
"##;

    #[test]
    fn a_good_policy_loads() {
        let p = Policy::parse("chatcookie.toml", GOOD, &catalog()).unwrap();
        assert_eq!(p.declarations.len(), 1);
        assert_eq!(p.declarations[0].earliest_step, Step::Consent);
        assert_eq!(p.declarations[0].line, 11);
        assert_eq!(p.scan.urls[0].get_ref(), "https://www.example.com/");
    }

    #[test]
    fn hosts_are_declared_by_name_or_domain() {
        let text = format!(
            "{GOOD}\n[[host]]\nname = \"*.example.net\"\npurpose = \"The site's CDN.\"\ncategory = \"strictly-necessary\"\n\n[[host]]\nname = \"Fonts.Example.NET\"\nvendor = \"tawkto\"\npurpose = \"Fonts.\"\n"
        );
        let p = Policy::parse("chatcookie.toml", &text, &catalog()).unwrap();
        assert_eq!(p.hosts.len(), 2);
        assert_eq!(p.hosts[0].line, 19);
        let fonts = p.host_declaration_for("fonts.example.net").unwrap();
        assert_eq!(fonts.name, "fonts.example.net");
        assert_eq!(fonts.vendor.as_deref(), Some("tawkto"));
        let cdn = p.host_declaration_for("cdn.example.net").unwrap();
        assert_eq!(cdn.category, Some(Category::StrictlyNecessary));
        assert!(p.host_declaration_for("example.net").is_some());
        assert!(p.host_declaration_for("badexample.net").is_none());
    }

    #[test]
    fn mistakes_point_at_the_entry() {
        let cases = [
            (
                GOOD.replace("vendor = \"tawkto\"", "vendor = \"tawk\""),
                13,
                "unknown vendor `tawk`",
            ),
            (
                GOOD.replace("\"6 months\"", "\"half a year\""),
                15,
                "invalid duration",
            ),
            (
                GOOD.replace("twk_uuid_{propertyId}", "twk_uuid_{propertyId"),
                11,
                "invalid key pattern",
            ),
            (
                GOOD.replace("earliest_step = \"consent\"", "earliest_step = \"later\""),
                14,
                "unknown variant",
            ),
            (
                GOOD.replace(
                    "fail_on = [\"undeclared\", \"high\"]",
                    "fail_on = [\"undeclard\"]",
                ),
                8,
                "undeclard",
            ),
            (
                GOOD.replace("step_timeout = \"5s\"", "step_timeout = \"5 parsecs\""),
                5,
                "5 parsecs",
            ),
            (GOOD.replace("purpose = ", "purpse = "), 16, "unknown field"),
            (
                format!(
                    "{GOOD}\n[[host]]\nname = \"https://fonts.example.net/\"\npurpose = \"Fonts\"\n"
                ),
                19,
                "invalid host",
            ),
        ];
        for (text, line, what) in cases {
            let err = Policy::parse("chatcookie.toml", &text, &catalog()).unwrap_err();
            let d = &err.0[0];
            assert_eq!(d.line, line, "{what}: {d}");
            assert!(d.to_string().contains(what), "{what}: {d}");
            assert!(
                d.to_string().contains(&format!("chatcookie.toml:{line}:")),
                "{d}"
            );
        }
    }

    #[test]
    fn the_scan_table_is_checked_once_into_the_settings() {
        let text = GOOD.replace(
            "step_timeout = \"5s\"",
            "step_timeout = \"5s\"\nconsent = \"reject\"\nreject_js = \"no()\"\npages = 3\ncmp_rules = [\"mine.toml\"]",
        );
        let p = Policy::parse("site/chatcookie.toml", &text, &catalog()).unwrap();
        let s = &p.settings;
        assert_eq!(s.step_timeout, std::time::Duration::from_secs(5));
        assert_eq!(s.consent.action, crate::vocab::ConsentAction::Reject);
        assert_eq!(
            s.consent.accept,
            crate::scan::ConsentMethod::Click("#cc-accept".into())
        );
        assert_eq!(
            s.consent.reject,
            crate::scan::ConsentMethod::Js("no()".into())
        );
        assert_eq!(s.pages, 3);
        assert_eq!(s.cmp_rules, vec![PathBuf::from("site/mine.toml")]);
        // Two ways of one answer are a mistake at the second, not a silent preference.
        let both = GOOD.replace(
            "consent_click = \"#cc-accept\"",
            "consent_click = \"#cc-accept\"\nconsent_text = \"OK\"",
        );
        let err = Policy::parse("chatcookie.toml", &both, &catalog()).unwrap_err();
        assert_eq!(err.0[0].line, 5, "{}", err.0[0]);
        assert!(
            err.0[0]
                .to_string()
                .contains("`consent_text` and `consent_click` both say how to accept"),
            "{}",
            err.0[0]
        );
    }

    #[test]
    fn settings_written_read_back_the_same() {
        let p = Policy::parse("chatcookie.toml", GOOD, &catalog()).unwrap();
        let text = toml::to_string(&p.settings).unwrap();
        assert_eq!(
            text,
            "consent = \"accept\"\nconsent_click = \"#cc-accept\"\nstep_timeout = \"5s\"\n"
        );
        let back: crate::scan::Settings = toml::from_str(&text).unwrap();
        assert_eq!(back.consent, p.settings.consent);
        assert_eq!(back.step_timeout, p.settings.step_timeout);
        let both: Result<crate::scan::Settings, _> =
            toml::from_str("consent_click = \"#a\"\nconsent_js = \"b()\"\n");
        assert!(both.is_err());
    }

    #[test]
    fn severities_are_the_sites_with_their_line_and_mistakes_point_at_them() {
        let text =
            format!("{GOOD}\n[severity]\nmissing-secure = \"info\"\nundeclared = \"high\"\n");
        let p = Policy::parse("chatcookie.toml", &text, &catalog()).unwrap();
        let o = &p.severities[&Rule::MissingSecure];
        assert_eq!((o.severity, o.line), (Severity::Info, 19));
        assert_eq!(p.severities[&Rule::Undeclared].severity, Severity::High);

        let bad = text.replace("missing-secure =", "missing-secur =");
        let err = Policy::parse("chatcookie.toml", &bad, &catalog()).unwrap_err();
        assert_eq!(err.0[0].line, 19, "{}", err.0[0]);
        assert!(
            err.0[0]
                .to_string()
                .contains("unknown rule `missing-secur`"),
            "{}",
            err.0[0]
        );
        let bad = text.replace("\"info\"", "\"critical\"");
        let err = Policy::parse("chatcookie.toml", &bad, &catalog()).unwrap_err();
        assert_eq!(err.0[0].line, 19, "{}", err.0[0]);
        assert!(
            err.0[0].to_string().contains("unknown severity `critical`"),
            "{}",
            err.0[0]
        );
    }
}
