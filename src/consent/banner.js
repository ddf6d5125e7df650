// Finds cookie banners by sight, in chatcookie's isolated world of one frame (the page's scripts
// cannot see it), called as `(<this function>)(request)`. It reports facts — where an element
// speaks of cookies or consent, which controls it offers and what their words mean — and the
// scan decides (src/consent/heuristic.rs). Controls and banners found are kept by key in the
// state dom.js shares (`__chatcookieConsent`), so a later click acts on exactly that element.
(req) => {
  const S = window.__chatcookieConsent ||
    (window.__chatcookieConsent = { targets: new Map(), frames: new Map(), clicked: false, probe: null });
  const B = S.banner || (S.banner = { words: null, id: null, keys: [], banners: new Map(), seq: 0 });

  if (req.words) {
    const w = req.words;
    // As src/catalog/words.rs `Compiled::wire` packs them: objects JSON.parse built, a phrase's
    // meanings unpacked when a label first holds it.
    const own = (o, k) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
    const meaningsOf = new Map();
    const phrase = (p) => {
      let m = meaningsOf.get(p);
      if (m === undefined) {
        const packed = own(w.phrases, p);
        m = packed === undefined ? null : packed.split(';').map((x) => {
          const [cls, langs] = x.split(':');
          return { class: cls, languages: langs ? langs.split(',') : [] };
        });
        meaningsOf.set(p, m);
      }
      return m;
    };
    let stems = null;
    let necessary = null;
    // Markers of five letters or more by their first five, for "begins with" lookups.
    const stemsOf = (k) => {
      if (!stems) {
        stems = new Map();
        for (const m of Object.keys(w.markers)) {
          if (Array.from(m).length < 5) continue;
          const s = Array.from(m).slice(0, 5).join('');
          if (!stems.has(s)) stems.set(s, []);
          stems.get(s).push(m);
        }
      }
      return stems.get(k) || [];
    };
    B.words = {
      topic: w.topic, privacy: w.privacy, notBanner: w.not_banner,
      phrase, precedence: w.precedence,
      marker: (k) => own(w.markers, k), stemsOf, topicSet: new Set(w.topic),
      // The phrases that mean "necessary" in some language (listed once, on first use).
      necessary: () => necessary ||
        (necessary = Object.keys(w.phrases).filter((p) => /(^|;)necessary:/.test(w.phrases[p]))),
    };
    B.id = w.id;
  }
  // Rendered frames since a look began: frames render while the scan works between calls, so
  // by the time it asks for two (`frames`), they have often been drawn already.
  const F = S.frameCount || (S.frameCount = { count: 2, running: false, fresh: false, waiters: [] });
  const countFrames = () => {
    F.count = 0;
    F.fresh = true;
    if (F.running) return;
    F.running = true;
    const tick = () => {
      F.count++;
      if (F.count < 2) return requestAnimationFrame(tick);
      F.running = false;
      for (const done of F.waiters.splice(0)) done(true);
    };
    requestAnimationFrame(tick);
  };
  // A look begins with a `find` that carries no words yet (those that do are its re-asks).
  if (req.op === 'find' && !req.gate && !req.words) countFrames();
  // Two rendered frames since the last look began (what a component that renders on animation
  // frames needs to show), or 250 ms, whichever comes first: the page's clock running ahead
  // renders no frames. Two frames counted are used once: asked again, it counts two more.
  if (req.op === 'frames') {
    if (!F.fresh) countFrames();
    F.fresh = false;
    if (F.count >= 2) return true;
    return new Promise((done) => {
      setTimeout(() => done(false), 250);
      F.waiters.push(done);
    });
  }
  // The ops that read words: a user's own answer asks `containerOf` before any `find`. A `find`
  // first gets the gate words alone (see `couldBeBanner`), the whole vocabulary only if needed.
  const wordless = (req.op === 'find' || req.op === 'containerOf') && B.id !== req.wordsId;
  if (wordless && req.op === 'containerOf') return { needWords: true };
  if (req.gate) B.gate = { id: req.wordsId, words: req.gate };
  if (wordless && (!B.gate || B.gate.id !== req.wordsId)) return { needGate: true };
  const W = B.words;

  // As src/catalog/words.rs `normalize`: lowercase, punctuation and symbols turned into spaces,
  // apostrophes and hyphens kept inside words.
  const letter = /[\p{Alphabetic}\p{N}]/u;
  const norm = (s) => {
    const chars = Array.from(String(s || '').normalize('NFKC').toLowerCase());
    let out = '';
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      const joiner = (c === "'" || c === '’' || c === '-' || c === '‐') && i > 0 &&
        letter.test(chars[i - 1]) && i + 1 < chars.length && letter.test(chars[i + 1]);
      out += letter.test(c) ? c : joiner ? (c === '’' ? "'" : c) : ' ';
    }
    return out.split(/\s+/).filter(Boolean).join(' ');
  };
  const pageLang = ((l) => (l === 'nb' || l === 'nn' ? 'no' : l))(
    (document.documentElement.lang || '').split(/[-_]/)[0].toLowerCase());
  const weak = (ms) => ms.every((m) => m.class === 'close' || m.class === 'acknowledge');
  // As `Compiled::classify`: the whole label, else the longest phrase it holds (labels of at
  // most eight words; "close" and "OK" only when it holds nothing else); the page's language,
  // else precedence, decides between meanings.
  const classify = (label) => {
    const text = norm(label);
    if (!text || text.length > 120) return null;
    let meanings = W.phrase(text);
    let phrase = text;
    if (!meanings) {
      const words = text.split(' ');
      if (words.length > 8) return null;
      let best = null;
      let fallback = null;
      for (let a = 0; a < words.length; a++) {
        for (let b = a + 1; b <= words.length; b++) {
          const gram = words.slice(a, b).join(' ');
          const m = W.phrase(gram);
          if (!m) continue;
          const len = Array.from(gram).length;
          if (weak(m)) {
            if (!fallback || len > fallback.len) fallback = { m, gram, len };
          } else if (!best || len > best.len) {
            best = { m, gram, len };
          }
        }
      }
      const chosen = best || fallback;
      if (!chosen) return guess(words);
      meanings = chosen.m;
      phrase = chosen.gram;
    }
    const local = pageLang && meanings.find((m) => m.languages.includes(pageLang));
    const meaning = local || W.precedence.map((c) => meanings.find((m) => m.class === c)).find(Boolean);
    return { class: meaning.class, phrase, languages: meaning.languages };
  };
  // As `Compiled::guess`: a label no phrase matches, read by its marker words (two at least,
  // and more than a name: two classes, or a word that is neither marker nor topic).
  const guess = (words) => {
    const votes = new Map();
    let held = 0;
    let other = false;
    for (const w of words) {
      let c = W.marker(w);
      if (!c && Array.from(w).length >= 5) {
        const list = W.stemsOf(Array.from(w).slice(0, 5).join(''));
        const m = list.find((m) => w.startsWith(m));
        if (m) c = W.marker(m);
      }
      if (c) {
        held++;
        votes.set(c, (votes.get(c) || 0) + 1);
      } else if (Array.from(w).length >= 4 && !W.topicSet.has(w)) {
        other = true;
      }
    }
    const shortVerb = held === 1 && words.length <= 4 && words.some((w) => W.topicSet.has(w)) &&
      Array.from(votes.keys()).every((c) => c === 'accept' || c === 'reject');
    if (!shortVerb && (held < 2 || (votes.size < 2 && !other))) return null;
    const most = Math.max(...votes.values());
    const cls = W.precedence.find((c) => votes.get(c) === most);
    return cls ? { class: cls, phrase: words.join(' '), languages: [], guessed: true } : null;
  };
  // A link that says only "here" ("Hier können Sie Ihre Einstellungen ändern"): its meaning is
  // in the sentence around it. Only the classes a banner hides behind such links.
  const CONTEXT = ['settings', 'reject', 'necessary', 'continue-without'];
  const fromSentence = (el, label) => {
    const own = norm(label);
    if (!own || own.split(' ').length > 2 || !el.parentElement) return null;
    const raw = textOf(el.parentElement, 1500);
    for (const sentence of raw.split(/[.!?;:\n]\s|[.!?]$/)) {
      const text = norm(sentence);
      if (!(' ' + text + ' ').includes(' ' + own + ' ')) continue;
      const words = text.split(' ');
      let best = null;
      for (let a = 0; a < words.length; a++) {
        for (let b = a + 1; b <= Math.min(words.length, a + 4); b++) {
          const gram = words.slice(a, b).join(' ');
          const m = (W.phrase(gram) || []).find((x) => CONTEXT.includes(x.class));
          if (m && (!best || gram.length > best.phrase.length)) best = { class: m.class, phrase: gram, languages: m.languages, guessed: true };
        }
      }
      if (best) return best;
    }
    return null;
  };
  // The words of `list` that `text` holds at word boundaries.
  const holds = (text, list) => {
    const padded = ' ' + text + ' ';
    return list.filter((w) => padded.includes(' ' + w + ' '));
  };
  // Topic and privacy words also as the start of a longer word (five letters or more), for
  // languages that inflect them (Finnish `evästeitä`, Hungarian `sütiket`).
  const holdsStem = (text, list) => {
    const padded = ' ' + text + ' ';
    return list.filter((w) => padded.includes(' ' + w + ' ') ||
      (Array.from(w).length >= 5 && padded.includes(' ' + w)));
  };

  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    return true;
  };
  const parentOf = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const tagLabel = (el) => {
    let s = '<' + el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean).slice(0, 2) : [];
    if (cls.length) s += '.' + cls.join('.');
    return s + '>';
  };
  // Text as a visitor reads it, shadow roots included (innerText stops at a shadow host).
  const textOf = (el, budget) => {
    let t = el.innerText || '';
    if (t.length > budget) return t.slice(0, budget);
    const hosts = [];
    if (el.shadowRoot) hosts.push(el);
    for (const d of el.querySelectorAll('*')) if (d.shadowRoot) hosts.push(d);
    for (const h of hosts) {
      for (const c of h.shadowRoot.children) {
        if (c.tagName === 'STYLE' || c.tagName === 'SCRIPT') continue;
        t += ' ' + textOf(c, budget - t.length);
        if (t.length > budget) return t.slice(0, budget);
      }
    }
    return t;
  };
  // Text as rendered through slots: a web component's button shows what its host slots into it
  // (innerText stops at the slot).
  const flatText = (node, budget) => {
    let t = '';
    const walk = (n) => {
      if (t.length > budget) return;
      if (n.nodeType === 3) {
        t += n.nodeValue;
        return;
      }
      if (n.nodeType !== 1 && n.nodeType !== 11) return;
      if (n.nodeType === 1) {
        if (/^(STYLE|SCRIPT|TEMPLATE)$/.test(n.tagName)) return;
        if (n.tagName === 'SLOT') {
          const assigned = n.assignedNodes({ flatten: true });
          for (const a of (assigned.length ? assigned : n.childNodes)) walk(a);
          return;
        }
        // Hidden text is no label (display: contents has no box but shows its children).
        const cs = getComputedStyle(n);
        if (cs.display === 'none' || cs.visibility === 'hidden') return;
        if (n.shadowRoot) {
          for (const c of n.shadowRoot.childNodes) walk(c);
          return;
        }
      }
      for (const c of n.childNodes) walk(c);
      if (n.nodeType === 1 && /^(DIV|P|LI|BR)$/.test(n.tagName)) t += ' ';
    };
    walk(node);
    return t;
  };
  const labelOf = (el) => {
    if (el.tagName === 'INPUT') return el.value || el.getAttribute('aria-label') || '';
    const inner = (el.innerText || '').trim() || flatText(el, 200).trim();
    return inner || el.getAttribute('aria-label') || el.title || '';
  };
  // Whether any of it is inside the viewport.
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  };
  // Within a fixed banner (which the page cannot scroll): in view, or inside a part of it that
  // scrolls (a long settings panel).
  const reachable = (el, root) => {
    if (inView(el)) return true;
    for (let a = parentOf(el); a; a = parentOf(a)) {
      const cs = getComputedStyle(a);
      if (/(auto|scroll)/.test(cs.overflowY + cs.overflowX) && a.scrollHeight > a.clientHeight + 1) return true;
      if (a === root) break;
    }
    return false;
  };
  // Something else on top of its centre (a floating button hidden under the banner): a visitor
  // cannot click it. Off screen counts as not covered (it would be scrolled to).
  const covered = (el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
    let hit = document.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      const inner = hit.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === hit) break;
      hit = inner;
    }
    const within = (inner, outer) => {
      for (let n = inner; n; n = n.parentNode || n.host) if (n === outer) return true;
      return false;
    };
    // The point reaches it when the hit is it or inside it, or a host whose shadow holds it.
    return !!hit && !within(hit, el) && !(hit.shadowRoot && within(el, hit));
  };
  // A link to another document: clicking it leaves the page being measured.
  const navigates = (el) => {
    const a = el.closest('a[href]');
    if (!a || (a.target && a.target !== '_self')) return !!(a && a.target && a.target !== '_self');
    const href = a.getAttribute('href') || '';
    if (href === '' || href.startsWith('#') || /^javascript:/i.test(href)) return false;
    try {
      const u = new URL(href, location.href);
      return u.origin + u.pathname + u.search !== location.origin + location.pathname + location.search;
    } catch (e) {
      return false;
    }
  };
  const fixedLike = (el) => {
    const cs = getComputedStyle(el);
    return cs.position === 'fixed' || cs.position === 'sticky';
  };
  const dialogLike = (el) =>
    el.matches('dialog[open], [role=dialog], [role=alertdialog], [aria-modal=true]');
  const hint = (el) => /cookie|consent|gdpr|privacy|cmp|banner|notice|dsgvo|rgpd|tracking/i.test(
    (el.id || '') + ' ' + (typeof el.className === 'string' ? el.className : '') + ' ' +
    (el.getAttribute('aria-label') || '') + ' ' + el.tagName);

  const CONTROL = 'button, a, [role=button], [role=link], [role=menuitem], input[type=button], input[type=submit], input[type=reset]';

  // Every element of the document and its open shadow roots.
  const all = [];
  {
    const roots = [document];
    for (let i = 0; i < roots.length; i++) {
      for (const el of roots[i].querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) roots.push(el.shadowRoot);
      }
    }
  }
  // Where a banner around `el` is: the nearest ancestor whose own words (outside its
  // controls) speak of cookies, consent or privacy (`textRoot`), and the outermost positioned or
  // dialog ancestor above it (`root`), which is what disappears when the banner is answered.
  const TEXT_BUDGET = 6000;
  const texts = new Map();
  const textCached = (a) => {
    let t = texts.get(a);
    if (t === undefined) {
      // A long text is no banner: do not lay out the whole page to learn it.
      t = (a.textContent || '').length > TEXT_BUDGET * 4 ? null : norm(textOf(a, TEXT_BUDGET));
      if (t !== null && t.length >= TEXT_BUDGET - 10) t = null;
      texts.set(a, t);
    }
    return t;
  };
  // The text of `a` outside its controls: a banner's own sentences, not its buttons' labels.
  const proseOf = (a) => {
    const parts = [];
    const walk = (root) => {
      const tw = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      for (let n = tw.nextNode(); n; n = tw.nextNode()) {
        if (n.nodeType === 1) {
          if (n.shadowRoot) walk(n.shadowRoot);
          continue;
        }
        const p = n.parentElement;
        if (!p || /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE)$/.test(p.tagName) || p.closest(CONTROL)) continue;
        parts.push(n.nodeValue);
      }
    };
    if (a.shadowRoot) walk(a.shadowRoot);
    walk(a);
    return norm(parts.join(' '));
  };
  const speaks = (t) => holdsStem(t, W.topic).length > 0 || holdsStem(t, W.privacy).length > 0;
  const containerOf = (el) => {
    let textRoot = null;
    let text = '';
    for (let a = parentOf(el); a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
      const t = textCached(a);
      if (t === null) break;
      if (!speaks(t)) continue;
      if (speaks(proseOf(a)) || ((fixedLike(a) || dialogLike(a)) && holdsStem(t, W.topic).length)) {
        textRoot = a;
        text = t;
        break;
      }
    }
    // A frame whose whole document is the banner (its body speaks of cookies).
    if (!textRoot && window !== window.top && document.body) {
      const t = textCached(document.body);
      if (t !== null && speaks(t)) {
        textRoot = document.body;
        text = t;
      }
    }
    if (!textRoot) return null;
    let root = null;
    for (let a = textRoot; a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
      if (fixedLike(a) || dialogLike(a)) root = a;
    }
    if (!root) {
      // In the flow of the page: the wrappers that hold nothing but the banner.
      root = textRoot;
      const len = text.length;
      for (let a = parentOf(textRoot); a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
        const t = textCached(a);
        if (t === null || t.length > len * 1.3 + 40) break;
        root = a;
      }
    }
    return { textRoot, root, text };
  };

  const fresh = () => {
    for (const k of B.keys) S.targets.delete(k);
    B.keys = [];
  };
  const keep = (el) => {
    const k = req.keyPrefix + (++B.seq);
    S.targets.set(k, el);
    B.keys.push(k);
    return k;
  };

  // One banner's facts, for the scan to judge.
  const describe = (c, classified) => {
    const rootKey = req.keyPrefix + 'b' + (++B.seq);
    B.banners.set(rootKey, { root: c.root, textRoot: c.textRoot });
    if (B.banners.size > 50) B.banners.delete(B.banners.keys().next().value);
    const cs = getComputedStyle(c.root);
    const r = c.root.getBoundingClientRect();
    const area = (Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0)) *
      Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0))) / Math.max(1, innerWidth * innerHeight);
    const inputs = { email: 0, password: 0, text: 0 };
    const scope = [c.root, ...Array.from(c.root.querySelectorAll('*')).filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
    for (const s of scope) {
      for (const i of s.querySelectorAll('input')) {
        const type = (i.type || '').toLowerCase();
        if (type === 'email') inputs.email++;
        else if (type === 'password') inputs.password++;
        else if (i.tagName === 'INPUT' && ['text', 'tel', ''].includes(type) && visible(i)) inputs.text++;
      }
    }
    let toggles = 0;
    const pinned = fixedLike(c.root);
    for (const s of scope) {
      for (const i of s.querySelectorAll('input[type=checkbox], [role=switch], [role=checkbox]')) {
        if (i.disabled || i.getAttribute('aria-disabled') === 'true') continue;
        // Cut off below a fixed banner's edge, a switch is nothing a visitor can reach.
        if (pinned && !reachable(i.labels && i.labels[0] && visible(i.labels[0]) ? i.labels[0] : i, c.root)) continue;
        toggles++;
      }
    }
    let fixed = false;
    let dialog = false;
    let z = 0;
    for (let a = c.textRoot; a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
      const s = getComputedStyle(a);
      if (s.position === 'fixed' || s.position === 'sticky') fixed = true;
      if (dialogLike(a)) dialog = true;
      const zi = parseInt(s.zIndex, 10);
      if (!isNaN(zi)) z = Math.max(z, zi);
    }
    let hinted = false;
    for (let a = c.textRoot; a && a !== document.body; a = parentOf(a)) {
      if (hint(a)) { hinted = true; break; }
      if (a === c.root) break;
    }
    return {
      key: rootKey,
      label: tagLabel(c.root),
      text: c.text.slice(0, 200),
      textLength: c.text.length,
      topic: holdsStem(c.text, W.topic).slice(0, 6),
      privacy: holdsStem(c.text, W.privacy).slice(0, 6),
      notBanner: holds(c.text, W.notBanner).slice(0, 6),
      fixed, dialog, zIndex: z, hinted,
      frameIsBanner: c.root === document.body || c.root === document.documentElement,
      area: Math.round(area * 100) / 100,
      inputs,
      toggles,
      controls: classified,
      lang: pageLang,
      opacity: parseFloat(cs.opacity),
    };
  };

  // Whether anything in this document could be a banner or a look-alike, asked before the
  // vocabulary is sent: a banner's text speaks of cookies or privacy (a gate word, matched
  // anywhere, so never missed), and a look-alike is a control in an overlay.
  const couldBeBanner = () => {
    // innerText, plus all text of shadow hosts (light and shadow): more than is shown, never less.
    let raw = (document.body && document.body.innerText) || '';
    for (const el of all) if (el.shadowRoot) raw += ' ' + el.textContent + ' ' + el.shadowRoot.textContent;
    if (raw.length > 200000) return true;
    const text = ' ' + norm(raw) + ' ';
    if (B.gate.words.some((w) => text.includes(w))) return true;
    for (const el of all) {
      if (!el.matches(CONTROL) || !visible(el)) continue;
      for (let a = parentOf(el); a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
        if (fixedLike(a) || dialogLike(a)) return true;
      }
    }
    return false;
  };
  if (wordless) {
    if (couldBeBanner()) return { needWords: true };
    return { url: location.href, top: window === window.top, banners: [], lookalikes: [] };
  }

  switch (req.op) {
    case 'find': {
      fresh();
      const byRoot = new Map();
      const lookalikes = new Map();
      for (const el of all) {
        if (!el.matches(CONTROL) || !visible(el)) continue;
        const label = labelOf(el);
        let meaning = classify(label);
        if (!meaning && el.getAttribute('aria-label')) meaning = classify(el.getAttribute('aria-label'));
        if (!meaning) meaning = fromSentence(el, label);
        const notBanner = holds(norm(label), W.notBanner);
        if (!meaning && !notBanner.length) continue;
        const c = containerOf(el);
        if (!c) {
          // A control with banner words in an overlay that does not speak of cookies: a
          // look-alike, reported so that the report can say what was declined.
          let overlay = null;
          for (let a = parentOf(el); a && a !== document.body && a !== document.documentElement; a = parentOf(a)) {
            if (fixedLike(a) || dialogLike(a)) overlay = a;
          }
          if (overlay && !lookalikes.has(overlay)) {
            lookalikes.set(overlay, {
              label: tagLabel(overlay),
              text: norm(textOf(overlay, 300)).slice(0, 160),
              control: norm(label).slice(0, 60),
              notBanner: holds(norm(textOf(overlay, 2000)), W.notBanner).slice(0, 6),
            });
          }
          continue;
        }
        let entry = byRoot.get(c.root);
        if (!entry) byRoot.set(c.root, entry = { c, controls: [] });
        entry.controls.push({
          key: keep(el),
          class: meaning ? meaning.class : null,
          phrase: meaning ? meaning.phrase : null,
          languages: meaning ? meaning.languages : [],
          guessed: !!(meaning && meaning.guessed),
          notBanner,
          navigates: navigates(el),
          disclosure: el.hasAttribute('aria-expanded'),
          covered: covered(el),
          label: norm(label).slice(0, 80),
          tag: tagLabel(el),
        });
      }
      // Elements a site made clickable by script alone (a <div> with a listener, the pointer
      // cursor): only inside a container already known to speak of cookies.
      const scriptControls = (root, known) => {
        const out = [];
        for (const el of root.querySelectorAll('div, span, li, p, label')) {
          if (known.has(el) || el.closest(CONTROL) || el.querySelector(CONTROL)) continue;
          if (getComputedStyle(el).cursor !== 'pointer' || !visible(el)) continue;
          if (el.parentElement && getComputedStyle(el.parentElement).cursor === 'pointer' &&
            !el.parentElement.matches('body')) continue;
          const label = labelOf(el);
          const meaning = classify(label);
          if (!meaning) continue;
          out.push({
            key: keep(el), class: meaning.class, phrase: meaning.phrase, languages: meaning.languages,
            guessed: !!meaning.guessed, notBanner: [], navigates: false, disclosure: el.hasAttribute('aria-expanded'),
            covered: covered(el),
            label: norm(label).slice(0, 80), tag: tagLabel(el),
          });
        }
        return out;
      };
      for (const [root, entry] of byRoot) {
        const known = new Set(entry.controls.map((x) => S.targets.get(x.key)));
        entry.controls.push(...scriptControls(root, known));
      }
      // One banner, one candidate: a root inside another's (its shadow root, a slotted link
      // beside the component's own buttons) joins the outer one.
      const within = (outer, inner) => {
        for (let n = inner; n; n = parentOf(n)) if (n === outer) return true;
        return false;
      };
      const entries = Array.from(byRoot.values());
      const placed = (e) => fixedLike(e.c.root) || dialogLike(e.c.root);
      for (const e of entries) {
        if (e.merged) continue;
        const outer = entries.find((o) => o !== e && !o.merged && within(o.c.root, e.c.root));
        if (!outer) continue;
        // The one placed over the page is what leaves when the banner is answered: keep it.
        const [keepIt, drop] = placed(e) && !placed(outer) ? [e, outer] : [outer, e];
        keepIt.controls.push(...drop.controls);
        drop.merged = true;
      }
      const banners = [];
      for (const e of entries) {
        if (e.merged) continue;
        // A fixed banner cannot be scrolled: what lies beyond the viewport's edge is out of reach.
        const reach = fixedLike(e.c.root) ? e.controls.filter((x) => reachable(S.targets.get(x.key), e.c.root)) : e.controls;
        banners.push(describe(e.c, reach));
      }
      // Positioned or dialog elements that speak of cookies but offer no control the words
      // know (a language not in the vocabulary, icons only): seen, for the report.
      const known = new Set(byRoot.keys());
      for (const el of all) {
        if (known.has(el) || !(dialogLike(el) || (el.offsetParent === null && el !== document.body && el !== document.documentElement && fixedLike(el)))) continue;
        if (!visible(el) || Array.from(known).some((k) => k.contains(el) || el.contains(k))) continue;
        const t = norm(textOf(el, TEXT_BUDGET));
        if (t.length >= TEXT_BUDGET - 10 || !holdsStem(t, W.topic).length) continue;
        const offered = [];
        for (const x of el.querySelectorAll(CONTROL)) if (visible(x)) offered.push(norm(labelOf(x)).slice(0, 60));
        // No control whose words are known, but perhaps one made clickable by script alone.
        const byScript = scriptControls(el, new Set());
        if (!offered.length && !byScript.length) continue;
        known.add(el);
        const d = describe({ root: el, textRoot: el, text: t }, byScript);
        d.unknownControls = offered.slice(0, 12);
        banners.push(d);
      }
      return {
        url: location.href,
        top: window === window.top,
        banners,
        lookalikes: Array.from(lookalikes.values()).slice(0, 8),
      };
    }

    case 'state': {
      // Whether a banner found before is still there for the visitor, and still moving.
      const b = B.banners.get(req.key);
      if (!b) return { known: false };
      const shown = (el) => el.isConnected && visible(el);
      let animating = false;
      for (let a = b.textRoot; a; a = parentOf(a)) {
        if (a.getAnimations && a.getAnimations().some((x) => x.playState === 'running')) { animating = true; break; }
        if (a === b.root) break;
      }
      return {
        known: true,
        connected: b.root.isConnected,
        shown: shown(b.root) && shown(b.textRoot),
        animating,
      };
    }

    case 'containerOf': {
      // The banner around an element a user's selector or text found (kept by dom.js).
      const el = S.targets.get(req.target);
      if (!el) return null;
      const c = containerOf(el);
      if (!c) return null;
      const d = describe(c, []);
      return d;
    }

    case 'toggles': {
      // The banner's optional switches: ticked ones to untick for a refusal (`want: false`),
      // unticked ones to tick for an acceptance through "save". Disabled ones (the strictly
      // necessary) and those whose label says necessary are left alone.
      const b = B.banners.get(req.key);
      if (!b) return [];
      const scope = [b.root, ...Array.from(b.root.querySelectorAll('*')).filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
      const out = [];
      for (const s of scope) {
        for (const i of s.querySelectorAll('input[type=checkbox], [role=switch], [role=checkbox]')) {
          const on = i.tagName === 'INPUT' ? i.checked : i.getAttribute('aria-checked') === 'true';
          if (on === req.want) continue;
          if (i.disabled || i.getAttribute('aria-disabled') === 'true' || i.readOnly) continue;
          const lab = (i.labels && i.labels[0]) || i.closest('label');
          const around = norm((lab ? lab.innerText : '') + ' ' + (i.getAttribute('aria-label') || '') + ' ' +
            (i.closest('li, tr, fieldset, section, div') || i).innerText);
          const necessary = holds(around, W.necessary()).length > 0 ||
            /\b(necessary|essential|required|strictly)\b/.test(around);
          if (necessary && req.want === false) continue;
          // What a visitor clicks: the switch itself, else its label, else what is drawn over it.
          const handle = visible(i) ? i : lab && visible(lab) ? lab :
            Array.from((i.parentElement || i).children).find((x) => x !== i && visible(x)) || null;
          if (!handle) continue;
          out.push({ key: keep(handle), input: keep(i), label: around.slice(0, 60) });
        }
      }
      return out;
    }

    case 'checked': {
      const i = S.targets.get(req.key);
      if (!i) return null;
      return i.tagName === 'INPUT' ? i.checked : i.getAttribute('aria-checked') === 'true';
    }

    case 'stored': {
      // What this frame's document can see, each name with a hash of its value: what the
      // answer wrote shows as a new name or a changed value.
      const hash = (v) => {
        let h = 5381;
        const t = String(v);
        for (let i = 0; i < t.length; i++) h = ((h * 33) ^ t.charCodeAt(i)) >>> 0;
        return h;
      };
      const entries = (s) => {
        const out = {};
        try { for (let i = 0; i < s.length; i++) { const k = s.key(i); out[k] = hash(s.getItem(k)); } } catch (e) {}
        return out;
      };
      const cookies = {};
      try {
        for (const c of document.cookie.split(';')) {
          const i = c.indexOf('=');
          const name = (i < 0 ? c : c.slice(0, i)).trim();
          if (name) cookies[name] = hash(i < 0 ? '' : c.slice(i + 1));
        }
      } catch (e) {}
      return { cookies, localStorage: entries(window.localStorage), sessionStorage: entries(window.sessionStorage) };
    }
  }
  return null;
}
