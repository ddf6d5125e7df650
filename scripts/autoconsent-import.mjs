#!/usr/bin/env node
// Turns DuckDuckGo autoconsent's declarative consent-manager rules into chatcookie's rule format.
//
// Usage (from the repository root):
//   (cd scripts/autoconsent && npm ci)        # the pinned package, no install scripts (.npmrc)
//   node scripts/autoconsent-import.mjs [--package DIR] [--out FILE] [--report FILE] [--license FILE]
//
// --package  the installed @duckduckgo/autoconsent directory
//            (default scripts/autoconsent/node_modules/@duckduckgo/autoconsent); its version must
//            be the one pinned in scripts/autoconsent/package.json
// --out      the rules file to write (default catalog/autoconsent.toml)
// --report   the import report to write (default docs/autoconsent-import.md)
// --license  the licence notice to write beside it (default catalog/AUTOCONSENT-LICENSE): what
//            was taken and changed, then the package's LICENSE (MPL-2.0) as it ships
//
// It reads the package's rules/autoconsent/*.json (hand-written declarative rules, MPL-2.0) and
// writes every rule it can express, sorted, in a stable format: the same package gives the same
// bytes (tests/autoconsent_import.rs checks that the committed files are current). Node 20, no
// dependencies. What is not imported, and why, is decided in `classify` below (first reason
// that applies) and listed in the report:
//   cosmetic      the rule hides a banner and records no choice (`cosmetic: true`)
//   duplicate     one of chatcookie's hand-written rules (catalog/cmps.toml) covers that CMP and its
//                 markup (DUPLICATES below); the hand-written rule stays and is tried first
//   eval          it needs one of autoconsent's code snippets (`eval`, lib/eval-snippets.ts) to
//                 detect or answer: code, not data
//   unsupported   it uses a step chatcookie does not run (removeClass, setStyle, addStyle), needs a
//                 newer rule-step version, or is one stage of several (`intermediate`)
//   generic       no `urlPattern`, and every selector of its detection is generic cookie-banner
//                 vocabulary (GENERIC_WORDS: `#cookie-banner-overlay`, `.consent-modal[role=dialog]`):
//                 a rule written for one site that would fire, and click, on any site with such a
//                 banner (PRODUCTS lists the exceptions: a CMP product's own markup)
//   no-answer     its opt-in or opt-out clicks nothing

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_NAME = '@duckduckgo/autoconsent';

// autoconsent rule names that a hand-written rule of catalog/cmps.toml covers, with its id.
const DUPLICATES = {
  axeptio: 'axeptio',
  borlabs: 'borlabs',
  'Complianz banner': 'complianz',
  // Complianz's older banners are the cookieconsent library's (.cc-window), which the
  // osano-cookieconsent rule detects and answers.
  'Complianz categories': 'osano-cookieconsent',
  'Complianz opt-out': 'osano-cookieconsent',
  'Complianz optin': 'osano-cookieconsent',
  'cookie-law-info': 'cookieyes',
  'cookie-script': 'cookie-script',
  cookieconsent2: 'cookieconsent-v2',
  cookieconsent3: 'cookieconsent-v3',
  cookieyes: 'cookieyes',
  didomi: 'didomi',
  'funding-choices': 'funding-choices',
  iubenda: 'iubenda',
  osano: 'osano',
  quantcast: 'quantcast',
  'tarteaucitron deny': 'tarteaucitron',
  'tarteaucitron.js': 'tarteaucitron',
  Termly: 'termly',
  'TrustArc-newcm': 'trustarc',
  'usercentrics-api': 'usercentrics',
};

// Words that say "a cookie banner" and nothing about whose: a detection made only of these (and
// of HTML and CSS vocabulary) fits many sites.
const GENERIC_WORDS = new Set(
  `cookie cookies consent banner notice notification bar alert modal popup pop up dialog overlay
   wrapper container content contents inner box block message policy privacy info gdpr tracking
   accept all allow btn button buttons settings preferences visible visibility show active open
   opened dark light main copy tip reminder request requested toggle target qa testid form
   actions action overview disclaimer`.split(/\s+/).filter(Boolean),
);

// Rules for a CMP product (not one site) whose markup happens to be spelt in GENERIC_WORDS: its
// own, on every site that runs it.
const PRODUCTS = {
  'WP Cookie Notice for GDPR': "the WordPress plugin GDPR Cookie Consent (WebToffee)'s own bar",
};

// HTML tags, attributes and CSS words that name no one.
const MARKUP_WORDS = new Set(
  `div span a p button form dialog section input iframe body html header footer main nav aside
   ul li class id role data aria type href src method name not has is nth child last first of
   true false post get label`.split(/\s+/).filter(Boolean),
);

const ACTIONS = ['waitForThenClick', 'click', 'waitFor', 'waitForVisible', 'wait', 'hide', 'eval', 'removeClass', 'setStyle', 'addStyle'];
const CONDITIONS = ['exists', 'visible', 'cookieContains', 'waitForVisible', 'waitFor', 'any', 'if', 'eval', 'wait'];
const SUPPORTED_STEP_VERSION = 2;

function parseArgs(argv) {
  const opts = {
    package: path.join(ROOT, 'scripts/autoconsent/node_modules', PACKAGE_NAME),
    out: path.join(ROOT, 'catalog/autoconsent.toml'),
    report: path.join(ROOT, 'docs/autoconsent-import.md'),
    license: path.join(ROOT, 'catalog/AUTOCONSENT-LICENSE'),
  };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || i + 1 >= argv.length) {
      throw new Error(`usage: node scripts/autoconsent-import.mjs [--package DIR] [--out FILE] [--report FILE] [--license FILE] (at ${argv[i]})`);
    }
    opts[key] = path.resolve(argv[++i]);
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// TOML output

// A TOML string: plain when nothing needs escaping, literal ('…') when only backslashes or
// double quotes do (selectors, regular expressions), else escaped.
function str(s) {
  const control = /[\u0000-\u001f\u007f]/.test(s);
  if (!control && !/["\\]/.test(s)) return `"${s}"`;
  if (!control && !s.includes("'")) return `'${s}'`;
  return JSON.stringify(s);
}

// An autoconsent ElementSelector as a chatcookie target: a selector, or one chain.
function target(sel) {
  if (typeof sel === 'string') return str(sel);
  return `[[${sel.map(str).join(', ')}]]`;
}

function inline(pairs) {
  return `{ ${pairs.map(([k, v]) => `${k} = ${v}`).join(', ')} }`;
}

// ---------------------------------------------------------------------------------------------
// Mapping

class Unsupported extends Error {}

function selectorsOf(steps, out = []) {
  for (const s of steps || []) {
    for (const k of ['exists', 'visible', 'waitFor', 'waitForVisible']) {
      if (s[k] !== undefined) out.push(...[].concat(s[k]));
    }
    if (s.any) selectorsOf(s.any, out);
    if (s.if) selectorsOf([s.if], out);
    if (s.then) selectorsOf(s.then, out);
    if (s.else) selectorsOf(s.else, out);
  }
  return out;
}

function usesKey(steps, key) {
  return (steps || []).some(
    (s) => s[key] !== undefined || usesKey(s.then, key) || usesKey(s.else, key) || usesKey(s.any, key) || (s.if && usesKey([s.if], key)),
  );
}

// The words of a selector: identifiers split at separators and camelCase humps, lowercased.
function words(sel) {
  return sel
    .replace(/^xpath\//, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !/^\d+$/.test(w));
}

function isGeneric(sel) {
  const ws = words(sel).filter((w) => !MARKUP_WORDS.has(w));
  return ws.every((w) => GENERIC_WORDS.has(w));
}

// A detection (detectCmp) condition step, or a `test` step, as a chatcookie condition; notes
// collect what was dropped.
function condition(step, notes, where) {
  const parts = [];
  const check = (c, dflt) => {
    const eff = c || dflt;
    return eff === 'any' ? [] : [['check', str(eff)]];
  };
  for (const k of Object.keys(step)) {
    if (!['exists', 'visible', 'check', 'cookieContains', 'waitForVisible', 'waitFor', 'timeout', 'any', 'if', 'then', 'else', 'negated', 'wait', 'comment', 'optional'].includes(k)) {
      throw new Unsupported(`\`${k}\` in ${where}`);
    }
  }
  if (step.exists !== undefined) parts.push(inline([['exists', target(step.exists)]]));
  if (step.visible !== undefined) parts.push(inline([['visible', target(step.visible)], ...check(step.check, 'all')]));
  // Waiting conditions become plain ones: detection and checks are polled anyway.
  if (step.waitForVisible !== undefined) parts.push(inline([['visible', target(step.waitForVisible)], ...check(step.check, 'any')]));
  if (step.waitFor !== undefined) parts.push(inline([['exists', target(step.waitFor)]]));
  if (step.cookieContains !== undefined) parts.push(inline([['cookie_contains', str(step.cookieContains)]]));
  if (step.any) parts.push(inline([['any', `[${step.any.map((s) => condition(s, notes, where)).join(', ')}]`]]));
  if (step.if) {
    // if C then T else E, as a condition: (C and T) or (not C and E).
    const c = condition(step.if, notes, where);
    const then = all((step.then || []).map((s) => condition(s, notes, where)).concat([c]));
    const otherwise = all((step.else || []).map((s) => condition(s, notes, where)).concat([inline([['not', c]])]));
    parts.push(inline([['any', `[${then}, ${otherwise}]`]]));
  }
  // Detection, shown and the check are polled (the check for up to 2 s): a wait adds nothing.
  if (step.wait !== undefined) notes.add(`its \`wait\` of ${step.wait} ms in ${where} is left to the polling`);
  if (!parts.length) {
    if (step.wait !== undefined) return null;
    throw new Unsupported(`an empty step in ${where}`);
  }
  const c = parts.length === 1 ? parts[0] : all(parts);
  return step.negated ? inline([['not', c]]) : c;
}

function all(conds) {
  const c = conds.filter(Boolean);
  return c.length === 1 ? c[0] : inline([['all', `[${c.join(', ')}]`]]);
}

// The AND of a list of autoconsent condition steps, or null when nothing is left.
function conditions(steps, notes, where) {
  const c = (steps || []).map((s) => condition(s, notes, where)).filter(Boolean);
  return c.length ? all(c) : null;
}

// An action step as chatcookie steps (one, or two for a step that both hides and clicks).
function actionSteps(step, notes, where, indent) {
  const out = [];
  const opt = step.optional ? [['optional', 'true']] : [];
  const timeout = step.timeout !== undefined ? [['timeout', String(step.timeout)]] : [];
  const known = ['waitForThenClick', 'click', 'waitFor', 'waitForVisible', 'wait', 'hide', 'method', 'if', 'then', 'else', 'any', 'all', 'timeout', 'check', 'optional', 'comment'];
  for (const k of Object.keys(step)) {
    if (!known.includes(k)) throw new Unsupported(`\`${k}\` in ${where}`);
  }
  if (step.waitForThenClick !== undefined) {
    out.push(inline([['wait_click', target(step.waitForThenClick)], ['hidden', 'true'], ...(step.all ? [['all', 'true']] : []), ...timeout, ...opt]));
  }
  if (step.click !== undefined) {
    // A chatcookie `click` is optional unless it says otherwise; autoconsent's is required.
    out.push(inline([['click', target(step.click)], ['hidden', 'true'], ...(step.all ? [['all', 'true']] : []), ...(step.optional ? [] : [['optional', 'false']])]));
  }
  if (step.waitFor !== undefined) out.push(inline([['wait_for', inline([['exists', target(step.waitFor)]])], ...timeout, ...opt]));
  if (step.waitForVisible !== undefined) {
    const check = step.check && step.check !== 'any' ? [['check', str(step.check)]] : [];
    out.push(inline([['wait_for', inline([['visible', target(step.waitForVisible)], ...check])], ...timeout, ...opt]));
  }
  if (step.wait !== undefined) out.push(inline([['pause', String(step.wait)]]));
  if (step.if) {
    const cond = condition(step.if, notes, `${where} if`);
    const pairs = [['if', cond], ['then', sequence(step.then || [], notes, `${where} then`, indent + 1)]];
    if (step.else) pairs.push(['else', sequence(step.else, notes, `${where} else`, indent + 1)]);
    out.push(inline([...pairs, ...opt]));
  }
  if (step.any) {
    out.push(inline([['any', sequence(step.any, notes, `${where} any`, indent + 1)], ...opt]));
  }
  // A step that hides and clicks: the click first, so that the banner's closing, not the hiding,
  // tells that it took.
  if (step.hide !== undefined) out.push(inline([['hide', target(step.hide)], ...opt]));
  if (step.method && step.method !== 'display') notes.add(`\`hide\` with method \`${step.method}\` hides with display: none`);
  if (!out.length) throw new Unsupported(`an empty step in ${where}`);
  return out;
}

// A list of steps, one per line, at `indent` (in units of two spaces).
function sequence(steps, notes, where, indent = 0) {
  const pad = '  '.repeat(indent + 1);
  const lines = steps.flatMap((s, i) => actionSteps(s, notes, `${where} step ${i + 1}`, indent));
  if (!lines.length) return '[]';
  return `[\n${lines.map((l) => `${pad}${l},\n`).join('')}${'  '.repeat(indent)}]`;
}

function clicks(steps) {
  return usesKey(steps, 'click') || usesKey(steps, 'waitForThenClick');
}

// Why a rule is not imported, or null.
function classify(rule) {
  if (rule.cosmetic) return { reason: 'cosmetic' };
  if (DUPLICATES[rule.name]) return { reason: 'duplicate', detail: DUPLICATES[rule.name] };
  const needed = ['detectCmp', 'detectPopup', 'optIn', 'optOut'];
  if (needed.some((k) => usesKey(rule[k], 'eval'))) return { reason: 'eval' };
  for (const k of ['removeClass', 'setStyle', 'addStyle']) {
    if (needed.some((p) => usesKey(rule[p], k))) return { reason: 'unsupported', detail: `uses \`${k}\`` };
  }
  if ((rule.minimumRuleStepVersion || 1) > SUPPORTED_STEP_VERSION) {
    return { reason: 'unsupported', detail: `needs rule-step version ${rule.minimumRuleStepVersion}` };
  }
  if (rule.intermediate) return { reason: 'unsupported', detail: 'one stage of several (`intermediate`)' };
  const run = rule.runContext || {};
  if (!run.urlPattern && !PRODUCTS[rule.name]) {
    const sels = selectorsOf(rule.detectCmp);
    if (sels.length && sels.every(isGeneric)) return { reason: 'generic', detail: sels.join(' | ') };
  }
  if (!clicks(rule.optIn) || !clicks(rule.optOut)) return { reason: 'no-answer' };
  return null;
}

function slug(s) {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

// One rule as a `[[cmp]]` table; notes collect what the mapping changed.
function toml(rule, file, version, notes) {
  const run = rule.runContext || {};
  const lines = ['[[cmp]]'];
  lines.push(`id = ${str(`ac-${slug(file.replace(/\.json$/, ''))}`)}`);
  lines.push(`name = ${str(rule.name)}`);
  lines.push(`source = ${str(`${PACKAGE_NAME} ${version} rules/autoconsent/${file}`)}`);
  if (run.main === false) lines.push('main = false');
  if (run.frame) lines.push('frame = true');
  if (run.urlPattern) lines.push(`url_pattern = ${str(run.urlPattern)}`);
  const detect = conditions(rule.detectCmp, notes, 'detectCmp');
  const shown = conditions(rule.detectPopup, notes, 'detectPopup');
  if (!detect || !shown) throw new Unsupported('nothing left to detect it, or its popup, by');
  lines.push(`detect = ${detect}`);
  lines.push(`shown = ${shown}`);
  lines.push(`accept = ${sequence(rule.optIn, notes, 'optIn')}`);
  lines.push(`reject = ${sequence(rule.optOut, notes, 'optOut')}`);
  if (rule.test && rule.test.length) {
    if (usesKey(rule.test, 'eval')) {
      notes.add('its `test` needs an eval snippet: no reject_check');
    } else {
      const check = conditions(rule.test, notes, 'test');
      if (check) lines.push(`reject_check = ${check}`);
    }
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

function main() {
  const opts = parseArgs(process.argv);
  const pkg = JSON.parse(fs.readFileSync(path.join(opts.package, 'package.json'), 'utf8'));
  const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts/autoconsent/package.json'), 'utf8')).dependencies[PACKAGE_NAME];
  if (pkg.name !== PACKAGE_NAME || pkg.version !== pinned) {
    throw new Error(`${opts.package} is ${pkg.name} ${pkg.version}, but scripts/autoconsent/package.json pins ${PACKAGE_NAME} ${pinned}`);
  }
  const dir = path.join(opts.package, 'rules/autoconsent');
  // Sorted by code point, not locale: the same bytes everywhere.
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const imported = [];
  const skipped = { duplicate: [], eval: [], cosmetic: [], generic: [], unsupported: [], 'no-answer': [] };
  const changed = [];
  const ids = new Set();
  for (const file of files) {
    const rule = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const why = classify(rule);
    if (why) {
      skipped[why.reason].push({ file, name: rule.name, detail: why.detail });
      continue;
    }
    const notes = new Set();
    let text;
    try {
      text = toml(rule, file, pkg.version, notes);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      skipped.unsupported.push({ file, name: rule.name, detail: e.message });
      continue;
    }
    const id = text.match(/^id = "(.*)"$/m)[1];
    if (ids.has(id)) throw new Error(`two rules become ${id} (${file})`);
    ids.add(id);
    const run = rule.runContext || {};
    imported.push({ file, name: rule.name, id, text, site: Boolean(run.urlPattern), frame: Boolean(run.frame) });
    if (notes.size) changed.push({ file, id, notes: [...notes].sort() });
  }
  // autoconsent tries the rules whose urlPattern matches before the generic ones: so do we.
  const ordered = imported.filter((r) => r.site).concat(imported.filter((r) => !r.site));

  const header = `# This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0. If a copy
# of the MPL was not distributed with this file, You can obtain one at http://mozilla.org/MPL/2.0/.
#
# Consent-manager rules imported from DuckDuckGo autoconsent: ${PACKAGE_NAME} ${pkg.version} (npm),
# rules/autoconsent/*.json, by scripts/autoconsent-import.mjs. Generated: do not edit; change the
# script or the pinned version (scripts/autoconsent/package.json) and run it again (docs/cmp-rules.md).
#
# This file is a derived work of DuckDuckGo autoconsent (https://github.com/duckduckgo/autoconsent),
# by DuckDuckGo and its contributors, licensed under the Mozilla Public License 2.0. This file, too,
# is under the MPL-2.0: catalog/AUTOCONSENT-LICENSE holds the licence and what was changed. The
# rest of chatcookie is MIT-licensed (Cargo.toml).
#
# ${imported.length} of ${files.length} rules; the others, and why: docs/autoconsent-import.md. Rules for one
# site (url_pattern) come first, then the others, each group sorted by file name. Embedded after
# catalog/cmps.toml: the hand-written rules are tried first.
`;
  fs.writeFileSync(opts.out, [header, ...ordered.map((r) => r.text)].join('\n'));
  fs.writeFileSync(opts.report, report(pkg.version, files.length, imported, skipped, changed));
  const licence = fs.readFileSync(path.join(opts.package, 'LICENSE'), 'utf8');
  fs.writeFileSync(opts.license, notice(pkg.version, pkg.license) + licence);
  process.stderr.write(`${path.relative(ROOT, opts.out)}: ${imported.length} of ${files.length} rules imported\n`);
}

function notice(version, license) {
  return `NOTICE for catalog/autoconsent.toml

catalog/autoconsent.toml is derived from DuckDuckGo autoconsent
(https://github.com/duckduckgo/autoconsent), npm package ${PACKAGE_NAME} version ${version},
files rules/autoconsent/*.json, by DuckDuckGo and its contributors, licensed under the Mozilla
Public License, v. 2.0 (${license}, reproduced below). catalog/autoconsent.toml is Covered Software
under the same licence; its source form is itself (a text file), and the rules it derives from are
in the package named above.

Changes made by chatcookie (scripts/autoconsent-import.mjs): each rule's JSON was rewritten in
chatcookie's TOML rule format (docs/cmp-rules.md): ids prefixed \`ac-\`, the package file named in
\`source\`, detectCmp, detectPopup, optIn, optOut, test and runContext mapped to detect, shown,
accept, reject, reject_check and main/frame/url_pattern; prehideSelectors, comments, vendor URLs
and metadata dropped; rules that are cosmetic, that need autoconsent's code snippets, that
duplicate chatcookie's own rules or whose detection is too generic were left out
(docs/autoconsent-import.md lists them and every other change).

The rest of chatcookie is licensed under the MIT licence (Cargo.toml); this notice and the
licence below apply to catalog/autoconsent.toml.

--------------------------------------------------------------------------------

`;
}

function report(version, total, imported, skipped, changed) {
  const n = (k) => skipped[k].length;
  const list = (rows, f) => rows.map((r) => `- ${f(r)}`).join('\n') + '\n';
  const name = (r) => (r.name === r.file.replace(/\.json$/, '') ? `\`${r.name}\`` : `\`${r.name}\` (${r.file})`);
  const site = imported.filter((r) => r.site).length;
  const frame = imported.filter((r) => r.frame).length;
  let out = `# The autoconsent import

<!-- Generated by scripts/autoconsent-import.mjs with catalog/autoconsent.toml: do not edit. -->

\`catalog/autoconsent.toml\` holds the rules of DuckDuckGo autoconsent (${PACKAGE_NAME} ${version}, MPL-2.0)
that chatcookie's rule format expresses: its hand-written declarative rules, \`rules/autoconsent/*.json\`,
${total} of them. How the mapping works, and how to update it: docs/cmp-rules.md ("Imported rules").

| | rules |
|---|---:|
| in the package | ${total} |
| **imported** | **${imported.length}** |
| of which for one site (\`url_pattern\`) | ${site} |
| of which run in frames | ${frame} |
| not imported: a hand-written rule covers the CMP | ${n('duplicate')} |
| not imported: needs autoconsent's code snippets (\`eval\`) | ${n('eval')} |
| not imported: cosmetic (hides a banner, records no choice) | ${n('cosmetic')} |
| not imported: detection too generic for a rule without \`urlPattern\` | ${n('generic')} |
| not imported: steps or stages chatcookie does not run | ${n('unsupported')} |
| not imported: opt-in or opt-out clicks nothing | ${n('no-answer')} |

Not in \`rules/autoconsent/\`, so not counted: autoconsent's rules written as code (\`lib/cmps/*.ts\`:
OneTrust, Cookiebot, Klaro, consentmanager.net, Sourcepoint, TrustArc and others, most of which the
hand-written rules cover) and its generated rules (\`rules/generated/\`, off by default there too).

## Duplicates of hand-written rules

The hand-written rule (catalog/cmps.toml) is kept; it has a fixture and is tried first.

${list(skipped.duplicate, (r) => `${name(r)} → \`${r.detail}\``)}
## Needing eval snippets

${list(skipped.eval, name)}
## Cosmetic

${list(skipped.cosmetic, name)}
## Detection too generic

No \`urlPattern\`, and every selector it is detected by is generic banner vocabulary (see the script):

${list(skipped.generic, (r) => `${name(r)}: \`${r.detail}\``)}
## Unsupported

${skipped.unsupported.length ? list(skipped.unsupported, (r) => `${name(r)}: ${r.detail}`) : 'None.\n'}
## Clicking nothing

${skipped['no-answer'].length ? list(skipped['no-answer'], name) : 'None.\n'}
## Imported with changes

What the mapping could not keep as autoconsent wrote it:

${list(changed, (r) => `\`${r.id}\`: ${r.notes.join('; ')}`)}
## Imported

${list(imported, (r) => `\`${r.id}\` ← ${r.file}${r.site ? ' (one site)' : ''}${r.frame ? ' (frames)' : ''}`)}`;
  return out;
}

try {
  main();
} catch (e) {
  process.stderr.write(`autoconsent-import: ${e.message}\n`);
  process.exit(1);
}
