//! Key-name patterns: exact names, `{placeholder}` captures and `*` wildcards.

use regex::Regex;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;

/// One piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// `{name}`: one or more of `[A-Za-z0-9-]`, captured under `name`.
    Placeholder(String),
    /// `*`: one or more of any character.
    Wildcard,
}

/// A parsed key-name pattern, ready to match names and to be compared with other patterns.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    tokens: Vec<Token>,
    regex: Option<Regex>,
}

/// Why a pattern string is not a valid pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the name is empty")]
    Empty,
    #[error("unclosed `{{` at character {0}")]
    Unclosed(usize),
    #[error("empty placeholder `{{}}` at character {0}")]
    EmptyPlaceholder(usize),
    #[error(
        "placeholder `{{{0}}}` must be letters, digits or `_`, starting with a letter (e.g. `{{propertyId}}`)"
    )]
    BadPlaceholder(String),
    #[error("placeholder `{{{0}}}` appears twice")]
    DuplicatePlaceholder(String),
    #[error(
        "two variable parts stand side by side; separate them with a literal so captures are unambiguous"
    )]
    AdjacentVariables,
    #[error("a lone `}}` at character {0}")]
    StrayBrace(usize),
}

/// The characters a placeholder matches: the ids vendors put into key names.
fn is_placeholder_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

impl Pattern {
    /// Parses `source`; a name without `{...}` or `*` is an exact name.
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        let mut tokens: Vec<Token> = Vec::new();
        let mut literal = String::new();
        let mut seen = HashSet::new();
        let mut chars = source.char_indices().peekable();
        let push_var = |tokens: &mut Vec<Token>, literal: &mut String, t: Token| {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(literal)));
            }
            if matches!(tokens.last(), Some(Token::Placeholder(_) | Token::Wildcard)) {
                return Err(PatternError::AdjacentVariables);
            }
            tokens.push(t);
            Ok(())
        };
        while let Some((i, c)) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(PatternError::Unclosed(i));
                    }
                    if name.is_empty() {
                        return Err(PatternError::EmptyPlaceholder(i));
                    }
                    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return Err(PatternError::BadPlaceholder(name));
                    }
                    if !seen.insert(name.clone()) {
                        return Err(PatternError::DuplicatePlaceholder(name));
                    }
                    push_var(&mut tokens, &mut literal, Token::Placeholder(name))?;
                }
                '}' => return Err(PatternError::StrayBrace(i)),
                '*' => push_var(&mut tokens, &mut literal, Token::Wildcard)?,
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        let exact = matches!(tokens.as_slice(), [Token::Literal(_)]);
        let regex = if exact {
            None
        } else {
            let mut re = String::from("^");
            for t in &tokens {
                match t {
                    Token::Literal(s) => re.push_str(&regex::escape(s)),
                    Token::Placeholder(n) => re.push_str(&format!("(?P<{n}>[A-Za-z0-9-]+)")),
                    Token::Wildcard => re.push_str("(?s:.+)"),
                }
            }
            re.push('$');
            Some(Regex::new(&re).expect("pattern regex is built from escaped parts"))
        };
        Ok(Pattern {
            source: source.to_string(),
            tokens,
            regex,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern is a plain name.
    pub fn is_exact(&self) -> bool {
        self.regex.is_none()
    }

    /// The regular expression behind a non-exact pattern.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.as_ref()
    }

    /// How many literal characters the pattern has: the precedence measure.
    pub fn literal_len(&self) -> usize {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Literal(s) => s.chars().count(),
                _ => 0,
            })
            .sum()
    }

    /// Matches `name`, returning the captured placeholders.
    pub fn captures(&self, name: &str) -> Option<BTreeMap<String, String>> {
        match &self.regex {
            None => (self.source == name).then(BTreeMap::new),
            Some(re) => {
                let caps = re.captures(name)?;
                Some(
                    re.capture_names()
                        .flatten()
                        .filter_map(|n| Some((n.to_string(), caps.name(n)?.as_str().to_string())))
                        .collect(),
                )
            }
        }
    }

    /// True when `name` matches.
    pub fn is_match(&self, name: &str) -> bool {
        match &self.regex {
            None => self.source == name,
            Some(re) => re.is_match(name),
        }
    }

    /// True when some name matches both patterns (decided on the product of the two automata).
    pub fn overlaps(&self, other: &Pattern) -> bool {
        let a = self.atoms();
        let b = other.atoms();
        // States are positions (i, j); an atom with `repeat` may consume again or move on.
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([(0usize, 0usize)]);
        while let Some((i, j)) = queue.pop_front() {
            if !seen.insert((i, j)) {
                continue;
            }
            if i == a.len() && j == b.len() {
                return true;
            }
            if i == a.len() || j == b.len() || !a[i].0.intersects(&b[j].0) {
                continue;
            }
            // After consuming one common character, each side advances or (if repeating) stays.
            let next_i: &[usize] = if a[i].1 { &[i, i + 1] } else { &[i + 1] };
            let next_j: &[usize] = if b[j].1 { &[j, j + 1] } else { &[j + 1] };
            for &ni in next_i {
                for &nj in next_j {
                    queue.push_back((ni, nj));
                }
            }
        }
        false
    }

    /// The pattern as a sequence of (character class, one-or-more) atoms.
    fn atoms(&self) -> Vec<(Class, bool)> {
        let mut out = Vec::new();
        for t in &self.tokens {
            match t {
                Token::Literal(s) => out.extend(s.chars().map(|c| (Class::Char(c), false))),
                Token::Placeholder(_) => out.push((Class::Id, true)),
                Token::Wildcard => out.push((Class::Any, true)),
            }
        }
        out
    }
}

/// A character class of the pattern automaton.
#[derive(Debug, Clone, Copy)]
enum Class {
    Char(char),
    Id,
    Any,
}

impl Class {
    fn intersects(&self, other: &Class) -> bool {
        match (self, other) {
            (Class::Any, _) | (_, Class::Any) => true,
            (Class::Id, Class::Id) => true,
            (Class::Char(c), Class::Id) | (Class::Id, Class::Char(c)) => is_placeholder_char(*c),
            (Class::Char(a), Class::Char(b)) => a == b,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::parse(s).unwrap()
    }

    #[test]
    fn exact_names_match_only_themselves() {
        let pat = p("twk_idm_key");
        assert!(pat.is_exact());
        assert!(pat.is_match("twk_idm_key"));
        assert!(!pat.is_match("twk_idm_key2"));
        assert!(!pat.is_match("TWK_IDM_KEY"));
        assert_eq!(pat.literal_len(), 11);
    }

    #[test]
    fn placeholders_capture_ids() {
        let pat = p("twk_uuid_{propertyId}");
        let caps = pat.captures("twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d").unwrap();
        assert_eq!(caps["propertyId"], "5f2b1c0e9a8d7c6b5a4f3e2d");
        assert!(pat.captures("twk_uuid_").is_none());
        assert!(
            pat.captures("twk_uuid_a.b").is_none(),
            "dots are not id characters"
        );
        let pat = p("{integrationId}.clientId");
        let caps = pat.captures("5f0c8a3e2b1d4c5a6e7f8091.clientId").unwrap();
        assert_eq!(caps["integrationId"], "5f0c8a3e2b1d4c5a6e7f8091");
    }

    #[test]
    fn wildcards_match_anything_non_empty() {
        let pat = p("_genesys.widgets.*");
        assert!(pat.is_match("_genesys.widgets.foo.bar"));
        assert!(!pat.is_match("_genesys.widgets."));
        assert!(pat.is_match("_genesys.widgets.\n"));
    }

    #[test]
    fn malformed_patterns_are_rejected() {
        assert!(matches!(Pattern::parse(""), Err(PatternError::Empty)));
        assert!(matches!(
            Pattern::parse("a{b"),
            Err(PatternError::Unclosed(1))
        ));
        assert!(matches!(
            Pattern::parse("a{}"),
            Err(PatternError::EmptyPlaceholder(1))
        ));
        assert!(matches!(
            Pattern::parse("a{1x}"),
            Err(PatternError::BadPlaceholder(_))
        ));
        assert!(matches!(
            Pattern::parse("{a}_{a}"),
            Err(PatternError::DuplicatePlaceholder(_))
        ));
        assert!(matches!(
            Pattern::parse("{a}{b}"),
            Err(PatternError::AdjacentVariables)
        ));
        assert!(matches!(
            Pattern::parse("a*{b}"),
            Err(PatternError::AdjacentVariables)
        ));
        assert!(matches!(
            Pattern::parse("a}"),
            Err(PatternError::StrayBrace(1))
        ));
    }

    #[test]
    fn overlap_is_decided_exactly() {
        assert!(p("jv_{a}_{b}").overlaps(&p("jv_{c}_{d}")));
        assert!(!p("jv_{random}_{widgetId}").overlaps(&p("jv_enter_ts_{visitorId}")));
        assert!(p("jv_*").overlaps(&p("jv_enter_ts_{visitorId}")));
        assert!(p("{id}.clientId").overlaps(&p("abc.{x}")));
        assert!(!p("{id}.clientId").overlaps(&p("{id}.appUserId")));
        assert!(p("twk_idm_key").overlaps(&p("twk_*")));
        assert!(!p("twk_idm_key").overlaps(&p("tawk_*")));
        assert!(p("a*b").overlaps(&p("*")));
    }

    #[test]
    fn long_hostile_names_match_in_linear_time() {
        let pat = p("*_*_*_*.x");
        let name = "_".repeat(100_000);
        assert!(!pat.is_match(&name));
    }
}
