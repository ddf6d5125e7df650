//! `before-chat-open`: a chat vendor's key stored before the visitor asked for the chat, not covered by consent.

use super::Check;
use crate::catalog::Scope;
use crate::findings::{Finding, Judging, Subject};
use crate::vocab::{Rule, Severity, Step};

pub(super) struct BeforeChatOpen;

impl Check for BeforeChatOpen {
    const DESCRIPTION: &'static str =
        "A chat-widget key was stored before the visitor opened the chat (and was not covered by an accepted consent).";

    fn key(cx: &Judging, s: &Subject) -> impl IntoIterator<Item = Finding> {
        check(cx, s)
    }
}

fn check(cx: &Judging, s: &Subject) -> Option<Finding> {
    let o = s.o;
    if o.attribution.vendor().is_none() || o.catalog.is_none() || s.phase >= Step::ChatOpen {
        return None;
    }
    let scope = o
        .attribution
        .key()
        .and_then(|k| cx.catalog.lookup(k).or_else(|| cx.catalog.lookup(&o.name)))
        .map(|m| m.key.scope);
    let covered = cx.consent.accepted && s.phase >= Step::Consent;
    if scope == Some(Scope::VendorWebsite) || covered {
        return None;
    }
    let opened = if cx.consent.chat_opened {
        "before the visitor opened the chat"
    } else {
        "and the chat was never opened"
    };
    Some(s.finding(
        Rule::BeforeChatOpen,
        Severity::Medium,
        "medium: a chat key is necessary only once the visitor asks for the chat (DSK OH Telemedien); before that it needs consent",
        format!(
            "{} was stored at {}, {opened}: it needs consent until the visitor asks for the chat",
            s.who, s.when
        ),
    ))
}
