//! The site's sitemap, read for a journey: the one `robots.txt` announces, else `/sitemap.xml`, and the sitemaps an index lists.

use super::pages::{Sitemap, parse_sitemap, robots_sitemaps};
use crate::browser::cdp::Page;
use crate::browser::fetch;
use std::collections::VecDeque;
use std::time::Duration;

/// How many sitemap files a journey reads at most (an index and its sitemaps).
const MAX_FILES: usize = 10;
/// How many page addresses are kept at most.
const MAX_URLS: usize = 10_000;
/// How large a sitemap (or robots.txt) may be (the protocol's own limit is 50 MB).
const MAX_BYTES: usize = 10 << 20;

/// The pages the sitemaps of the site of `page_url` list, in their order; none when it has
/// none or they cannot be read (a journey then follows links alone).
pub(super) fn pages(page: &Page, frame: &str, page_url: &str, timeout: Duration) -> Vec<String> {
    let Ok(root) = url::Url::parse(page_url).and_then(|u| u.join("/")) else {
        return Vec::new();
    };
    let read = |url: &str| fetch::text(page, frame, url, MAX_BYTES, timeout).ok();
    let robots = root.join("robots.txt").map(|u| u.to_string()).ok();
    let mut files: VecDeque<String> = robots
        .as_deref()
        .and_then(|r| read(r).map(|text| robots_sitemaps(&text, r)))
        .unwrap_or_default()
        .into();
    if files.is_empty()
        && let Ok(u) = root.join("sitemap.xml")
    {
        files.push_back(u.to_string());
    }
    let mut urls = Vec::new();
    let mut read_files = 0;
    while let Some(file) = files.pop_front() {
        if read_files >= MAX_FILES || urls.len() >= MAX_URLS {
            break;
        }
        read_files += 1;
        let Some(xml) = read(&file) else { continue };
        match parse_sitemap(&xml, &file) {
            Some(Sitemap::Index(more)) => files.extend(more),
            Some(Sitemap::Pages(list)) => urls.extend(list),
            None => {}
        }
    }
    urls.truncate(MAX_URLS);
    urls
}
