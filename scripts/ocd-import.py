#!/usr/bin/env python3
"""Convert the Open Cookie Database CSV into chatcookie's platform catalog (catalog/ocd.tsv).

Usage:
    scripts/ocd-import.py OCD_CSV --commit SHA --date YYYY-MM-DD \
        [--out catalog/ocd.tsv] [--report docs/ocd-generic.md]

OCD_CSV is `open-cookie-database.csv` of https://github.com/jkwakman/Open-Cookie-Database
(Apache-2.0). --commit and --date name the OCD commit the CSV was taken from; they are written into
the catalog and shown in every report's provenance. Python 3 standard library only.

What is kept, per entry: the platform, the category (mapped to chatcookie's vocabulary, with OCD's
own label where the mapping is not one to one), the name or wildcard prefix, the retention period
(normalised to a chatcookie duration, with OCD's text where that changed it) and the domain hint
(host names only). What is dropped: the description texts, the data controller, the privacy-portal
URL and the OCD row id. Each entry also gets a strength, decided by the distinctiveness rule below;
the report file lists how many entries are generic and why, and every generic entry.

The distinctiveness rule (the first that applies decides; `s` is the name, or for a wildcard its
prefix without trailing separators `_ - . : /`):
  1. short           generic      s has at most 2 characters (`C`, `id`, `ts`, `_s`, wildcard `lc_`).
  2. shared          generic      the same name (exact or prefix) is listed under two or more OCD
                                  platforms (`token`, `usprivacy`).
  3. platform-name   distinctive  s contains the platform's name (its letters and digits, >= 3) or a
                                  word of the platform's name of >= 4 letters that is not a common
                                  word (`hubspotutk`, `auth0`, `id5`, `clerk_`).
  4. short-lowercase generic      s has 3 characters, lowercase letters and digits only (`uid`, `chk`).
  5. digits          distinctive  s contains a digit (`VISITOR_INFO1_LIVE`, `uuid2`, `TS01`).
  6. common-words    generic      every word of s is a common word (COMMON_WORDS below), words being
                                  split at separators, at camelCase humps and, inside a lowercase or
                                  uppercase run, into common words of >= 3 letters (`sessionid`,
                                  `connect.sid`, `cookieconsent_status`, `user_id`, `lang`). A
                                  PascalCase run-on (`CookieConsent`, `BrowserId`) or an uppercase
                                  run-on of several words (`SERVERID`) is one code base's spelling
                                  and stays distinctive.
  7. otherwise       distinctive  reason: underscore-prefix (`_ga`, `__utma`), mixed-case
                                  (`OptanonConsent`), uppercase (`IDE`) or uncommon-word (`datr`).
"""

import argparse
import collections
import csv
import re
import sys

# Words and abbreviations common in cookie and storage names: a name made only of these says what
# it holds, not whose it is. Curated for cookie names, not a general dictionary.
COMMON_WORDS = set(
    """
    id ids uid uids uuid guid sid pid cid vid tid did aid mid oid xid
    user users usr visitor visitors visit visits visited client clients customer customers member
    members account accounts guest guests device devices browser browsers profile profiles
    session sessions sess token tokens auth login logout logged signin signup sso oauth jwt key keys
    secret nonce state states csrf xsrf remember
    lang language languages locale locales country countries region city geo timezone tz currency
    consent consents cookie cookies gdpr ccpa privacy opt optout optin out accept accepted decline
    declined policy banner notice preferences prefs pref settings setting config options option
    choice choices test tests check debug dev version ver
    cart basket order orders checkout shop store product products wishlist recently viewed compared
    price page pages view views count counter hits first last recent time timestamp ts date expires
    expiry start end seen new returning referrer referer ref refer source src campaign utm medium
    term content channel tracking track tracker analytics stats stat event events click clicks ad ads
    popup modal dismissed closed hide hidden show shown open opened display theme mode layout
    sidebar menu nav tab cache storage data info local temp tmp flag flags status ab split variant
    group bucket segment experiment feature features beta sample random hash sig signature connect
    socket server node lb route backend frontend web app site domain host path url redirect return
    callback next prev previous history sync match audience push notification notifications
    subscribe subscription newsletter email mail phone name search query filter sort password pass
    secure security captcha bot human challenge is has no not dnt allow allowed enabled disabled on
    off chat live support widget message messages unread presence online location ip agent ua
    platform mobile desktop screen width height partner partners
    """.split()
)

# OCD category label -> chatcookie category. OCD's "Functional" covers "technical, essential or
# strictly necessary" (its README) as well as plain functional cookies: it stays `functional`
# (medium before consent) because the label does not tell which. Security and Necessary cookies
# are strictly necessary; Personalization/Preferences is functional.
CATEGORIES = {
    "Functional": "functional",
    "Personalization": "functional",
    "Preferences": "functional",
    "Analytics": "analytics",
    "Marketing": "marketing",
    "Security": "strictly-necessary",
    "Necessary": "strictly-necessary",
}

SEPARATORS = "_-.:/"

UNITS = {
    "sec": "second", "secs": "second", "second": "second", "seconds": "second",
    "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
    "hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week",
    "month": "month", "months": "month", "year": "year", "years": "year",
}
SESSION = {"session", "sessions", "session cookie", "end of session (browser)", "seesion"}
PERSISTENT = {"forever", "permanent", "unlimited", "no expiration"}


def duration_of(text):
    """OCD's retention text as a chatcookie duration (session | persistent | unspecified | "n unit")."""
    t = " ".join(text.lower().split())
    if t in SESSION:
        return "session"
    if t in PERSISTENT:
        return "persistent"
    m = re.fullmatch(r"(\d+) ([a-z]+)", t)
    if m and m.group(2) in UNITS and int(m.group(1)) > 0:
        n = int(m.group(1))
        unit = UNITS[m.group(2)]
        return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
    return "unspecified"


def hosts_of(domain):
    """The host names in OCD's domain text (`doubleclick.net (3rd party)` -> doubleclick.net)."""
    out = []
    for h in re.findall(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", domain.lower().replace("\u200b", "")):
        h = h.strip(".")
        if h.startswith("www."):
            h = h[4:]
        if h not in out:
            out.append(h)
    return out


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def compact(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def clean_name(raw, wildcard):
    """The entry's name and whether it is a prefix. `*`, `%...%` and a trailing `NNN` in a name
    are placeholders: the name becomes a prefix up to them. Soft hyphens and padding are dropped."""
    name = raw.replace("\u00ad", "").strip()
    for marker in ("*", "%"):
        if marker in name:
            name, wildcard = name.split(marker, 1)[0], True
    if name.endswith("NNN"):
        name, wildcard = name[:-3], True
    return name, wildcard


def words(s):
    """Words of `s`: split at separators and spaces, then at camelCase humps and letter/digit edges."""
    out = []
    for part in re.split(r"[_\-.:/\s\[\]|$]+", s):
        out += re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", part)
    return out


def is_common_run(word):
    """True when `word` is a common word, or (a single-case run) splits into common words of >= 3
    letters, `id` allowed anywhere (`sessionid`, `cookieconsent`)."""
    w = word.lower()
    if w in COMMON_WORDS:
        return True
    ok = [False] * (len(w) + 1)
    ok[0] = True
    for i in range(len(w)):
        if not ok[i]:
            continue
        for j in range(i + 2, len(w) + 1):
            piece = w[i:j]
            if (len(piece) >= 3 or piece == "id") and piece in COMMON_WORDS:
                ok[j] = True
    return ok[len(w)]


def run_on_words(word):
    """How many common words a run-on splits into (1 when it is one word)."""
    w = word.lower()
    if w in COMMON_WORDS:
        return 1
    best = [None] * (len(w) + 1)
    best[0] = 0
    for i in range(len(w)):
        if best[i] is None:
            continue
        for j in range(i + 2, len(w) + 1):
            piece = w[i:j]
            if (len(piece) >= 3 or piece == "id") and piece in COMMON_WORDS:
                if best[j] is None or best[j] > best[i] + 1:
                    best[j] = best[i] + 1
    return best[len(w)] or 0


def strength(name, wildcard, platform, platforms_of_name):
    """(strength, reason) under the distinctiveness rule of the module docstring."""
    s = name.rstrip(SEPARATORS) if wildcard else name
    if len(s) <= 2:
        return "generic", "short"
    if len(platforms_of_name) >= 2:
        return "generic", "shared"
    pc = compact(platform)
    pwords = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", platform) if w]
    sc = compact(s)
    if (len(pc) >= 3 and pc in sc) or any(
        len(w) >= 4 and w not in COMMON_WORDS and w in sc for w in pwords
    ):
        return "distinctive", "platform-name"
    if len(s) == 3 and re.fullmatch(r"[a-z0-9]+", s):
        return "generic", "short-lowercase"
    if re.search(r"\d", s):
        return "distinctive", "digits"
    ws = words(s)
    spelled_by_one = re.fullmatch(r"[A-Z][a-z]+[A-Z][A-Za-z]*", s) or (
        re.fullmatch(r"[A-Z]+", s) and run_on_words(s) >= 2
    )
    if ws and not spelled_by_one and all(is_common_run(w) for w in ws):
        return "generic", "common-words"
    if s[0] in "_$":
        return "distinctive", "underscore-prefix"
    if re.search(r"[a-z][A-Z]|[A-Z][a-z]+[A-Z]", s):
        return "distinctive", "mixed-case"
    if re.fullmatch(r"[A-Z0-9_\-.]+", s):
        return "distinctive", "uppercase"
    return "distinctive", "uncommon-word"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", help="open-cookie-database.csv")
    ap.add_argument("--commit", required=True, help="the OCD commit the CSV comes from")
    ap.add_argument("--date", required=True, help="that commit's date, YYYY-MM-DD")
    ap.add_argument("--out", default="catalog/ocd.tsv")
    ap.add_argument("--report", default="docs/ocd-generic.md")
    args = ap.parse_args()
    if not re.fullmatch(r"[0-9a-f]{7,40}", args.commit) or not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}", args.date
    ):
        sys.exit("--commit must be a hex commit id and --date YYYY-MM-DD")

    with open(args.csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    need = {"Platform", "Category", "Cookie / Data Key name", "Domain", "Retention period",
            "Wildcard match"}
    if not rows or not need <= set(rows[0]):
        sys.exit(f"{args.csv}: not the OCD CSV (columns {sorted(need)} expected)")

    dropped = collections.Counter()
    # Platforms spelled in several ways (`Hubspot`, `HubSpot`) are one: the most frequent spelling.
    spellings = collections.defaultdict(collections.Counter)
    for r in rows:
        if r["Platform"].strip():
            spellings[slug(r["Platform"])][r["Platform"].strip()] += 1
    display = {k: c.most_common(1)[0][0] for k, c in spellings.items()}

    entries = []
    seen = set()
    for r in rows:
        platform = r["Platform"].strip()
        if not platform or not slug(platform):
            dropped["no platform"] += 1
            continue
        name, wildcard = clean_name(r["Cookie / Data Key name"], r["Wildcard match"].strip() == "1")
        if not name:
            dropped["no name"] += 1
            continue
        label = r["Category"].strip()
        if label not in CATEGORIES:
            dropped[f"unknown category {label!r}"] += 1
            continue
        pid = slug(platform)
        if (pid, name, wildcard) in seen:
            dropped["duplicate of an earlier row"] += 1
            continue
        seen.add((pid, name, wildcard))
        retention = " ".join(r["Retention period"].split())
        entries.append({
            "platform": pid,
            "name": name,
            "wildcard": wildcard,
            "label": label,
            "category": CATEGORIES[label],
            "retention": retention,
            "duration": duration_of(retention),
            "hosts": hosts_of(r["Domain"]),
        })

    # The same name listed by several platforms, as an exact name or a prefix (`usprivacy`).
    platforms_of = collections.defaultdict(set)
    for e in entries:
        platforms_of[e["name"]].add(e["platform"])
    for e in entries:
        e["strength"], e["reason"] = strength(
            e["name"], e["wildcard"], display[e["platform"]], platforms_of[e["name"]]
        )

    by_platform = collections.OrderedDict()
    for e in entries:
        by_platform.setdefault(e["platform"], []).append(e)

    def field(text):
        if any(c in text for c in "\t\r\n"):
            sys.exit(f"a field holds a tab or a line break: {text!r}")
        return text

    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        w = out.write
        w("# catalog/ocd.tsv: generated by scripts/ocd-import.py from the Open Cookie Database; do not\n")
        w("# edit by hand (re-run the script, see docs/ocd.md). Derived from open-cookie-database.csv,\n")
        w("# Copyright the Open Cookie Database contributors, Apache License 2.0 (catalog/OCD-LICENSE).\n")
        w("# Changes made: description texts, data controllers, privacy URLs and row ids removed;\n")
        w("# categories mapped to chatcookie's; retention periods normalised; domains reduced to host\n")
        w("# names; placeholder names turned into prefixes; a strength added by the distinctiveness rule.\n")
        w("#\n")
        w("# Tab-separated, one record a line; `#` starts a comment line. The first field says what it is:\n")
        w("#   D  key  value                  the database: name, url, commit, date, licence, notice, entries\n")
        w("#   P  id   name                   a platform; the K lines after it are its keys\n")
        w("#   K  name  match  category  ocd_category  duration  retention  hosts  generic\n")
        w("# match: exact, or prefix (the name itself and every name starting with it); category:\n")
        w("# chatcookie's; ocd_category: OCD's label where it is another word; duration: chatcookie's form;\n")
        w("# retention: OCD's text where it differs; hosts: OCD's domain hint, space-separated; generic:\n")
        w("# the distinctiveness rule's reason for a generic name, empty for a distinctive one.\n")
        for k, v in [
            ("name", "Open Cookie Database"),
            ("url", "https://github.com/jkwakman/Open-Cookie-Database"),
            ("commit", args.commit),
            ("date", args.date),
            ("licence", "Apache-2.0"),
            ("notice", "catalog/OCD-LICENSE"),
            ("entries", str(len(entries))),
        ]:
            w(f"D\t{k}\t{v}\n")
        for pid, es in by_platform.items():
            w(f"P\t{pid}\t{field(display[pid])}\n")
            for e in es:
                w("\t".join([
                    "K",
                    field(e["name"]),
                    "prefix" if e["wildcard"] else "exact",
                    e["category"],
                    e["label"] if e["label"].lower() != e["category"] else "",
                    e["duration"],
                    field(e["retention"]) if e["retention"] != e["duration"] else "",
                    " ".join(e["hosts"]),
                    e["reason"] if e["strength"] == "generic" else "",
                ]) + "\n")

    reasons = collections.Counter((e["strength"], e["reason"]) for e in entries)
    generic = [e for e in entries if e["strength"] == "generic"]
    with open(args.report, "w", encoding="utf-8", newline="\n") as out:
        w = out.write
        w("# Open Cookie Database: generic and distinctive names\n\n")
        w("Generated by `scripts/ocd-import.py` (the rule is in its docstring and in\n")
        w("[ocd.md](ocd.md)) from the Open Cookie Database at commit ")
        w(f"`{args.commit[:12]}` ({args.date}).\n\n")
        w(f"{len(rows)} rows read; {len(entries)} entries kept from {len(by_platform)} platforms")
        if dropped:
            w(" (dropped: " + ", ".join(f"{n} {why}" for why, n in sorted(dropped.items())) + ")")
        w(f".\n{len(generic)} entries are generic ({100 * len(generic) / len(entries):.1f}%), ")
        w(f"{len(entries) - len(generic)} distinctive; {sum(e['wildcard'] for e in entries)} are ")
        w("prefixes (OCD wildcards).\n\n")
        w("| strength | reason | entries |\n|---|---|---|\n")
        order = ["short", "shared", "platform-name", "short-lowercase", "digits", "common-words",
                 "underscore-prefix", "mixed-case", "uppercase", "uncommon-word"]
        for (st, why), n in sorted(reasons.items(), key=lambda kv: order.index(kv[0][1])):
            w(f"| {st} | {why} | {n} |\n")
        w("\nCategories (chatcookie's, from OCD's labels):\n\n| OCD label | category | entries |\n")
        w("|---|---|---|\n")
        for (label, cat), n in sorted(collections.Counter(
                (e["label"], e["category"]) for e in entries).items()):
            w(f"| {label} | {cat} | {n} |\n")
        w("\n## Every generic entry\n\n| name | prefix | platform | reason |\n|---|---|---|---|\n")
        for e in sorted(generic, key=lambda e: (order.index(e["reason"]), e["name"].lower(), e["platform"])):
            n = e["name"].replace("|", "\\|").replace("`", "'")
            w(f"| `{n}` | {'yes' if e['wildcard'] else ''} | {display[e['platform']]} | {e['reason']} |\n")
    print(f"{args.out}: {len(entries)} entries, {len(by_platform)} platforms, "
          f"{len(generic)} generic; {args.report} written", file=sys.stderr)


if __name__ == "__main__":
    main()
