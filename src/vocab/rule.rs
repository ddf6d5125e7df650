//! The rules a finding can come from: the one list every rule is registered in.

use super::named::named;

/// The one list of rules: each line is a rule's `Rule` variant, its stable id (and any older
/// spelling still read) and its file in `src/findings/rules/`. Adding a rule is its file plus
/// one line here.
///
/// Each layer expands the list its own way: `rules!(m)` calls the macro `m` with the list;
/// vocab makes it the [`Rule`] enum, findings the rule modules, their dispatch and
/// [`Rule::description`] (from each rule's file). The order is the report's: among findings of
/// equal severity, the earlier rule's come first.
macro_rules! rules {
    ($then:ident) => {
        $then! {
            BeforeConsent = "before-consent" => before_consent,
            BeforeChatOpen = "before-chat-open" => before_chat_open,
            TransferBeforeConsent = "transfer-before-consent" => transfer_before_consent,
            NoRefusal = "no-refusal" => no_refusal,
            KeptAfterWithdrawal = "kept-after-withdrawal" => kept_after_withdrawal,
            NoWithdrawal = "no-withdrawal" => no_withdrawal,
            VendorPromise = "vendor-promise" => vendor_promise,
            VendorDocMismatch = "vendor-doc-mismatch" => vendor_doc_mismatch,
            Undeclared = "undeclared" => undeclared,
            DeclaredNotSeen = "declared-not-seen" => declared_not_seen,
            Unknown = "unknown" => unknown,
            Duration = "duration" => duration,
            PersonalData = "personal-data" => personal_data,
            ThirdParty = "third-party" => third_party,
            // Reports before 0.x spelled it as serde's kebab case of the variant did.
            SameSiteNoneInsecure = "samesite-none-insecure" | "same-site-none-insecure" => samesite_none_insecure,
            MissingSecure = "missing-secure" => missing_secure,
        }
    };
}

pub(crate) use rules;

/// Makes the list the `Rule` enum (the files are findings' business).
macro_rules! rule_enum {
    ($($variant:ident = $text:literal $(| $alias:literal)* => $file:ident),+ $(,)?) => {
        named! {
            /// The rules a finding can come from. Ids are stable: policies and baselines refer to
            /// them. What each checks is its file's (`Rule::description`, in findings).
            pub enum Rule: "rule", id {
                $($variant = $text $(| $alias)*),+
            }
        }
    };
}

rules!(rule_enum);

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports, SARIF, the store and the docs all spell a rule by its id; JSON once spelled one
    /// rule `same-site-none-insecure` (serde's own kebab case), which a baseline may still hold.
    #[test]
    fn a_rule_is_spelled_by_its_id_everywhere_and_the_old_spelling_still_reads() {
        for rule in Rule::ALL {
            assert_eq!(
                serde_json::to_value(rule).unwrap(),
                serde_json::json!(rule.id())
            );
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
        }
        let old: Rule = serde_json::from_str("\"same-site-none-insecure\"").unwrap();
        assert_eq!(old, Rule::SameSiteNoneInsecure);
        assert_eq!(old.id(), "samesite-none-insecure");
    }
}
