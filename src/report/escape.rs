//! Escaping for the document formats: every string a page chose (key names, URLs, values) is hostile input.

/// Escapes text for HTML content and double- or single-quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for XML 1.0 attributes and content: the HTML escapes, and the characters XML
/// cannot carry at all (most controls, U+FFFE, U+FFFF) shown as `\u{…}`.
pub fn xml(s: &str) -> String {
    let carried: String = s
        .chars()
        .flat_map(|c| {
            let invalid = (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}');
            if invalid {
                c.escape_unicode().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect();
    html(&carried)
}

/// Escapes text for one line of Markdown (a paragraph, list item or table cell): control
/// characters are shown escaped (a newline must not end a table row), Markdown punctuation is
/// backslash-escaped, and `<`, `>`, `&` become entities so no raw HTML gets through.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Inline syntax only: the text never starts a line (it follows `| ` or `- `).
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                // Shown as `\n`, `\u{1b}`…, with its backslash escaped in turn.
                for e in c.escape_default() {
                    if e == '\\' {
                        out.push('\\');
                    }
                    out.push(e);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Guards a CSV cell against formula injection: spreadsheets evaluate a cell that starts with
/// `=`, `+`, `-`, `@` (or a tab or carriage return before one), so such a cell gets a leading `'`.
pub fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escapes_markup_and_characters_xml_cannot_carry() {
        assert_eq!(
            super::xml("<img src=x onerror=\"a&b\">"),
            "&lt;img src=x onerror=&quot;a&amp;b&quot;&gt;"
        );
        assert_eq!(super::xml("a\u{1}b\tc"), "a\\u{1}b\tc");
    }

    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(html("a&b \"c\" 'd'"), "a&amp;b &quot;c&quot; &#39;d&#39;");
        assert_eq!(html("plain"), "plain");
    }

    #[test]
    fn markdown_escapes_punctuation_html_and_newlines() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("`x`"), "\\`x\\`");
        assert_eq!(markdown("<b>"), "&lt;b&gt;");
        assert_eq!(markdown("l1\nl2"), "l1\\\\nl2");
        assert_eq!(markdown("[x](javascript:y)"), "\\[x\\]\\(javascript:y\\)");
        assert!(!markdown("a\r\nb").contains(['\r', '\n']));
    }

    #[test]
    fn csv_cells_that_start_a_formula_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("_ga"), "_ga");
    }
}
