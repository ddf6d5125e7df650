//! How the rule language is written: selectors, chains and alternatives, condition and step
//! tables, `detect` and `shown`, each read and checked where the TOML reader still knows its
//! place in the file.

use super::{Action, Chain, Check, Click, Condition, RuleStep, Targets, XPATH_PREFIX};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::time::Duration;

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

fn global<E: de::Error>(g: &str) -> Result<String, E> {
    if !is_global_path(g) {
        return Err(E::custom(format!(
            "`{g}` is not a global name or dotted path (e.g. `Cookiebot` or `UC_UI.isInitialized`)"
        )));
    }
    Ok(g.to_string())
}

/// A selector as written: non-empty once trimmed (an XPath one too, after its prefix).
fn selector<E: de::Error>(s: &str) -> Result<String, E> {
    let t = s.trim();
    if t.is_empty() {
        return Err(E::custom("empty CSS selector"));
    }
    if t.strip_prefix(XPATH_PREFIX)
        .is_some_and(|x| x.trim().is_empty())
    {
        return Err(E::custom("empty XPath selector after `xpath/`"));
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

/// A non-empty target.
fn targets<E: de::Error>(key: &str, t: Targets) -> Result<Targets, E> {
    if t.0.is_empty() {
        return Err(E::custom(format!("`{key}` needs at least one selector")));
    }
    Ok(t)
}

/// A condition as written: one kind, and `check` with `visible` only.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    exists: Option<Targets>,
    visible: Option<Targets>,
    check: Option<Check>,
    cookie_contains: Option<String>,
    global: Option<String>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
    not: Option<Box<Condition>>,
}

pub(super) const CONDITION_KINDS: &str =
    "`exists`, `visible`, `cookie_contains`, `global`, `all`, `any` or `not`";

impl RawCondition {
    fn build<E: de::Error>(self) -> Result<Condition, E> {
        let mut kinds: Vec<Condition> = Vec::new();
        let mut named = Vec::new();
        if let Some(t) = self.exists {
            named.push("exists");
            kinds.push(Condition::Exists(targets("exists", t)?));
        }
        if let Some(t) = self.visible {
            named.push("visible");
            kinds.push(Condition::Visible(
                targets("visible", t)?,
                self.check.unwrap_or_default(),
            ));
        } else if self.check.is_some() {
            return Err(E::custom("`check` goes with `visible`"));
        }
        if let Some(s) = self.cookie_contains {
            named.push("cookie_contains");
            if s.is_empty() {
                return Err(E::custom("`cookie_contains` is empty"));
            }
            kinds.push(Condition::CookieContains(s));
        }
        if let Some(g) = self.global {
            named.push("global");
            kinds.push(Condition::Global(global(&g)?));
        }
        for (key, list) in [("all", self.all), ("any", self.any)] {
            if let Some(list) = list {
                named.push(key);
                if list.is_empty() {
                    return Err(E::custom(format!("`{key}` needs at least one condition")));
                }
                kinds.push(if key == "all" {
                    Condition::All(list)
                } else {
                    Condition::Any(list)
                });
            }
        }
        if let Some(c) = self.not {
            named.push("not");
            kinds.push(Condition::Not(c));
        }
        match kinds.len() {
            1 => Ok(kinds.pop().expect("one")),
            0 => Err(E::custom(format!(
                "a condition needs one of {CONDITION_KINDS}"
            ))),
            _ => Err(E::custom(format!(
                "a condition has one kind, this one has {} (use `all` to combine)",
                named.join(" and ")
            ))),
        }
    }
}

/// Checks a table's contents inside its own `visit_map`, where the TOML deserializer still knows
/// the table's span: an error then points at the table, not at the array around it.
struct InTable<T>(std::marker::PhantomData<T>);

/// A raw table and how it becomes the value.
trait Build<'de>: Deserialize<'de> {
    type Out;
    const EXPECTING: &'static str;
    fn build<E: de::Error>(self) -> Result<Self::Out, E>;
}

impl<'de, T: Build<'de>> Visitor<'de> for InTable<T> {
    type Value = T::Out;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T::Out, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))?.build()
    }
}

fn in_table<'de, T: Build<'de>, D: Deserializer<'de>>(d: D) -> Result<T::Out, D::Error> {
    d.deserialize_map(InTable::<T>(std::marker::PhantomData))
}

impl<'de> Build<'de> for RawCondition {
    type Out = Condition;
    const EXPECTING: &'static str = "a condition table";
    fn build<E: de::Error>(self) -> Result<Condition, E> {
        RawCondition::build(self)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawCondition, D>(d)
    }
}

/// `detect`: the old `{ present = T, globals = [...] }` (any present, any defined), or a condition.
pub(super) struct DetectSpec(pub(super) Condition);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    present: Option<Targets>,
    globals: Option<Vec<String>>,
    exists: Option<Targets>,
    visible: Option<Targets>,
    check: Option<Check>,
    cookie_contains: Option<String>,
    global: Option<String>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
    not: Option<Box<Condition>>,
}

impl<'de> Deserialize<'de> for DetectSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawDetect, D>(d)
    }
}

impl<'de> Build<'de> for RawDetect {
    type Out = DetectSpec;
    const EXPECTING: &'static str = "a table: `present`/`globals`, or a condition";
    fn build<E: de::Error>(self) -> Result<DetectSpec, E> {
        let r = self;
        let old = r.present.is_some() || r.globals.is_some();
        let cond = RawCondition {
            exists: r.exists,
            visible: r.visible,
            check: r.check,
            cookie_contains: r.cookie_contains,
            global: r.global,
            all: r.all,
            any: r.any,
            not: r.not,
        };
        let empty = cond.exists.is_none()
            && cond.visible.is_none()
            && cond.check.is_none()
            && cond.cookie_contains.is_none()
            && cond.global.is_none()
            && cond.all.is_none()
            && cond.any.is_none()
            && cond.not.is_none();
        if !old && !empty {
            return Ok(DetectSpec(cond.build()?));
        }
        if !empty {
            return Err(E::custom(
                "`detect` is either `present`/`globals` or a condition, not both (wrap them in `any`)",
            ));
        }
        let mut any: Vec<Condition> = r
            .present
            .unwrap_or(Targets(Vec::new()))
            .0
            .into_iter()
            .map(|c| Condition::Exists(Targets(vec![c])))
            .collect();
        for g in r.globals.unwrap_or_default() {
            any.push(Condition::Global(global(&g)?));
        }
        // Empty: reported with the rule's other problems (parse_file).
        Ok(DetectSpec(Condition::Any(any)))
    }
}

/// `shown`: targets (the banner shows while one is visible), or a condition.
pub(super) struct Shown(pub(super) Condition);

impl<'de> Deserialize<'de> for Shown {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ShownVisitor;
        impl<'de> Visitor<'de> for ShownVisitor {
            type Value = Shown;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("selectors (visible when one is), or a condition table")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Shown, E> {
                let t = Targets(vec![Chain(vec![selector(s)?])]);
                Ok(Shown(Condition::Visible(t, Check::Any)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shown, A::Error> {
                // Empty: reported with the rule's other problems (parse_file).
                let t = Targets::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(Shown(Condition::Visible(t, Check::Any)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shown, A::Error> {
                Condition::deserialize(MapAccessDeserializer::new(map)).map(Shown)
            }
        }
        d.deserialize_any(ShownVisitor)
    }
}

/// A step as written: one action, with the options that go with it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    wait_click: Option<Targets>,
    click: Option<Targets>,
    wait: Option<Targets>,
    wait_for: Option<Condition>,
    eval: Option<String>,
    hide: Option<Targets>,
    pause: Option<u64>,
    #[serde(rename = "if")]
    if_: Option<Condition>,
    then: Option<Vec<RuleStep>>,
    #[serde(rename = "else")]
    else_: Option<Vec<RuleStep>>,
    any: Option<Vec<RuleStep>>,
    optional: Option<bool>,
    hidden: Option<bool>,
    all: Option<bool>,
    timeout: Option<u64>,
}

const STEP_KINDS: &str =
    "`wait_click`, `click`, `wait`, `wait_for`, `eval`, `hide`, `pause`, `if` or `any`";

impl<'de> Deserialize<'de> for RuleStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawStep, D>(d)
    }
}

impl<'de> Build<'de> for RawStep {
    type Out = RuleStep;
    const EXPECTING: &'static str = "a step table";
    fn build<E: de::Error>(self) -> Result<RuleStep, E> {
        let r = self;
        let err = |m: String| -> E { E::custom(m) };
        let ms = Duration::from_millis;
        let mut actions: Vec<(&str, Action)> = Vec::new();
        let timeout = r.timeout.map(ms);
        for (key, t, wait) in [
            ("wait_click", r.wait_click, true),
            ("click", r.click, false),
        ] {
            if let Some(t) = t {
                actions.push((
                    key,
                    Action::Click(Click {
                        targets: targets(key, t)?,
                        wait,
                        hidden: r.hidden.unwrap_or(false),
                        all: r.all.unwrap_or(false),
                        timeout,
                    }),
                ));
            }
        }
        if let Some(t) = r.wait {
            actions.push(("wait", Action::Wait(targets("wait", t)?, timeout)));
        }
        if let Some(c) = r.wait_for {
            actions.push(("wait_for", Action::WaitFor(c, timeout)));
        }
        if let Some(js) = r.eval {
            if js.trim().is_empty() {
                return Err(err("an `eval` step is empty".into()));
            }
            actions.push(("eval", Action::Eval(js)));
        }
        if let Some(t) = r.hide {
            actions.push(("hide", Action::Hide(targets("hide", t)?)));
        }
        if let Some(p) = r.pause {
            actions.push(("pause", Action::Pause(ms(p))));
        }
        match (r.if_, r.then, r.else_) {
            (Some(condition), Some(then), otherwise) => actions.push((
                "if",
                Action::If {
                    condition,
                    then,
                    otherwise: otherwise.unwrap_or_default(),
                },
            )),
            (Some(_), None, _) => return Err(err("an `if` step needs `then`".into())),
            (None, Some(_), _) | (None, _, Some(_)) => {
                return Err(err("`then` and `else` go with `if`".into()));
            }
            (None, None, None) => {}
        }
        if let Some(steps) = r.any {
            if steps.is_empty() {
                return Err(err("`any` needs at least one step".into()));
            }
            actions.push(("any", Action::Any(steps)));
        }
        let (key, action) = match actions.len() {
            1 => actions.pop().expect("one"),
            0 => return Err(err(format!("a step needs one of {STEP_KINDS}"))),
            _ => {
                let keys: Vec<&str> = actions.iter().map(|(k, _)| *k).collect();
                return Err(err(format!(
                    "a step does one thing, this one has {} (write one step each)",
                    keys.join(" and ")
                )));
            }
        };
        let is_click = matches!(key, "wait_click" | "click");
        if !is_click && (r.hidden.is_some() || r.all.is_some()) {
            return Err(err(format!(
                "`hidden` and `all` go with `wait_click` and `click`, not `{key}`"
            )));
        }
        if r.timeout.is_some() && !matches!(key, "wait_click" | "wait" | "wait_for") {
            return Err(err(format!(
                "`timeout` goes with `wait_click`, `wait` and `wait_for`, not `{key}`"
            )));
        }
        // A plain click was optional before steps could say so: it stays so unless told.
        let optional = r.optional.unwrap_or(key == "click");
        Ok(RuleStep { action, optional })
    }
}
