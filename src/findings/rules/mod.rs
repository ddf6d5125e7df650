//! The rules, one file each, registered by their line in the one list (`vocab::rules!`): each file's [`Check`] says what the rule checks and judges a key, the whole scan, or both.

use super::{Finding, Judging, Subject};
use crate::vocab::Rule;

/// A rule as its file defines it: what it checks, and its findings about one observed key
/// and/or about the scan as a whole (a rule judges either or both; the other yields nothing).
pub(crate) trait Check {
    /// One sentence on what the rule checks (SARIF rule descriptions, docs/rules.md).
    const DESCRIPTION: &'static str;

    /// Its findings about one observed key.
    fn key(_cx: &Judging, _s: &Subject) -> impl IntoIterator<Item = Finding> {
        None
    }

    /// Its findings about the whole scan (after every key was judged).
    fn scan(_cx: &Judging) -> impl IntoIterator<Item = Finding> {
        None
    }
}

/// Makes the list the rule modules, their dispatch in the list's order, and the descriptions.
macro_rules! register {
    ($($variant:ident = $text:literal $(| $alias:literal)* => $file:ident),+ $(,)?) => {
        $(mod $file;)+

        /// Every rule's findings about one observed key.
        pub(super) fn per_key(cx: &Judging, s: &Subject, out: &mut Vec<Finding>) {
            $(out.extend(<$file::$variant as Check>::key(cx, s));)+
        }

        /// Every rule's findings about the whole scan.
        pub(super) fn whole_scan(cx: &Judging, out: &mut Vec<Finding>) {
            $(out.extend(<$file::$variant as Check>::scan(cx));)+
        }

        impl Rule {
            /// One sentence on what the rule checks (SARIF rule descriptions, docs/rules.md):
            /// its file's [`Check::DESCRIPTION`].
            pub fn description(self) -> &'static str {
                match self {
                    $(Rule::$variant => <$file::$variant as Check>::DESCRIPTION,)+
                }
            }
        }
    };
}

crate::vocab::rules!(register);

#[cfg(test)]
mod tests;
