//! The rules, one file each; per-key rules take a [`Subject`](super::Subject), the others the whole [`Judging`](super::Judging).

pub mod before_chat_open;
pub mod before_consent;
pub mod declared_not_seen;
pub mod duration;
pub mod kept_after_withdrawal;
pub mod missing_secure;
pub mod no_refusal;
pub mod no_withdrawal;
pub mod personal_data;
pub mod samesite_none_insecure;
pub mod third_party;
pub mod transfer_before_consent;
pub mod undeclared;
pub mod unknown;
pub mod vendor_doc_mismatch;
pub mod vendor_promise;
