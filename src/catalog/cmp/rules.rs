//! The consent-manager rule set: the embedded rules files, then the user's, merged by id.

use super::Cmp;
use super::file::parse_file;
use crate::diagnostic::{Diagnostic, Diagnostics};
use serde::{Serialize, Serializer};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The embedded rules files, in the order their rules are tried: the hand-written rules first.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "catalog/cmps.toml",
        include_str!("../../../catalog/cmps.toml"),
    ),
    // DuckDuckGo autoconsent's rules (MPL-2.0), by scripts/autoconsent-import.mjs.
    (
        "catalog/autoconsent.toml",
        include_str!("../../../catalog/autoconsent.toml"),
    ),
];

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
    /// The rules compiled into the binary (`catalog/cmps.toml`, then `catalog/autoconsent.toml`).
    pub fn embedded() -> Result<CmpRules, Diagnostics> {
        // Parsed once per process: hundreds of rules, and callers ask per scan.
        static EMBEDDED_RULES: OnceLock<Result<CmpRules, Diagnostics>> = OnceLock::new();
        EMBEDDED_RULES
            .get_or_init(|| {
                let texts = embedded_texts();
                Ok(CmpRules {
                    cmps: merge(Vec::new(), &texts, false)?.into(),
                    version: format!("cmps.{}", short_hash(&texts)),
                })
            })
            .clone()
    }

    /// The embedded rules plus the user's files, in order. A user entry whose id is already
    /// defined must say `replace = true`.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> crate::error::Result<CmpRules> {
        let mut user = Vec::new();
        for p in paths {
            let p = p.as_ref();
            user.push(RulesText {
                file: p.display().to_string(),
                text: crate::catalog::read_text(p)?,
            });
        }
        Ok(Self::build(&user)?)
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
        Self::build(&user)
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

    /// The rules `keep` keeps, in order (measurements on part of the rules).
    #[cfg(test)]
    pub(crate) fn subset(&self, keep: impl Fn(&Cmp) -> bool) -> CmpRules {
        CmpRules {
            cmps: self.cmps.iter().filter(|c| keep(c)).cloned().collect(),
            version: format!("{}+subset", self.version),
        }
    }

    /// `cmps.<hash>` of the embedded files, plus `+user.<hash>` when user files were added.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The embedded rules (parsed once) plus `user`'s.
    fn build(user: &[RulesText]) -> Result<CmpRules, Diagnostics> {
        let base = Self::embedded()?;
        if user.is_empty() {
            return Ok(base);
        }
        let cmps = merge(base.cmps.to_vec(), user, true)?;
        Ok(CmpRules {
            cmps: cmps.into(),
            version: format!("{}+user.{}", base.version, short_hash(user)),
        })
    }
}

/// Adds each file's rules to `cmps`, in order; a user file may replace a rule by id.
fn merge(mut cmps: Vec<Cmp>, texts: &[RulesText], user: bool) -> Result<Vec<Cmp>, Diagnostics> {
    let mut errors = Vec::new();
    for t in texts {
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
                Some(pos) if replace && user => cmps[pos] = cmp,
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
    Ok(cmps)
}

fn embedded_texts() -> Vec<RulesText> {
    EMBEDDED
        .iter()
        .map(|(file, text)| RulesText {
            file: file.to_string(),
            text: text.to_string(),
        })
        .collect()
}

fn short_hash(texts: &[RulesText]) -> String {
    crate::catalog::files_hash(texts.iter().map(|t| (t.file.as_str(), t.text.as_str())))
}
