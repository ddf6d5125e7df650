//! Sites and hosts of URLs, and text made safe for a terminal.

/// The registrable domain (eTLD+1) of a host, by the public suffix list; the host itself for IPs and single labels.
pub fn site_of(host: &str) -> String {
    let host = host.trim_start_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    psl::domain_str(&host).unwrap_or(&host).to_string()
}

/// The host of a URL or origin as the URL writes it, if any: no userinfo or port, lowercase
/// for the web's schemes (http, https, ws, wss), an IPv6 address in its brackets (`[::1]`, as a
/// cookie's domain holds it).
pub fn url_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}

/// The host of a URL or origin, if any; an IPv6 address without its brackets (`::1`).
pub fn host_of(url: &str) -> Option<String> {
    url_host(url).map(|h| h.trim_matches(['[', ']']).to_string())
}

/// Makes any text safe for a terminal: control characters escaped, long text shortened.
pub fn terminal_safe(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(site_of("www.shop.test"), "shop.test");
        assert_eq!(site_of(".shop.test"), "shop.test");
        assert_eq!(site_of("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(site_of("foo.github.io"), "foo.github.io");
        assert_eq!(site_of("127.0.0.1"), "127.0.0.1");
        assert_eq!(site_of("localhost"), "localhost");
    }

    #[test]
    fn a_url_host_keeps_an_ipv6_address_in_brackets_and_host_of_drops_them() {
        assert_eq!(url_host("https://[::1]:8443/").as_deref(), Some("[::1]"));
        assert_eq!(host_of("https://[::1]:8443/").as_deref(), Some("::1"));
        assert_eq!(
            url_host("http://u:p@Shop.EXAMPLE:8080/a?b").as_deref(),
            Some("shop.example")
        );
        assert_eq!(url_host("no scheme"), None);
    }
}
