// Runs in chatcookie's isolated world of one frame (invisible to the page's own scripts), called
// as `(<this function>)(request)`. Elements found are kept here by key, so later calls (prepare a
// click, click) act on exactly the element that was located.
(req) => {
  const S = window.__chatcookieConsent ||
    (window.__chatcookieConsent = { targets: new Map(), frames: new Map(), clicked: false, probe: null });
  // Keys are unique per call; a long poll would otherwise keep every element it ever saw alive.
  if (S.targets.size > 500) S.targets.clear();
  if (S.frames.size > 500) S.frames.clear();

  const squash = (s) => String(s || '').trim().replace(/\s+/g, ' ');
  const textOf = (el) => squash(el.innerText || el.value || el.getAttribute('aria-label') || el.title);
  const label = (el) => {
    let s = '<' + el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean).slice(0, 2) : [];
    if (cls.length) s += '.' + cls.join('.');
    s += '>';
    const t = textOf(el);
    if (t) s += ' "' + (t.length > 40 ? t.slice(0, 39) + '…' : t) + '"';
    return s;
  };
  const visible = (el) => {
    if (!el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    return true;
  };
  // What a condition calls visible: rendered and of some size, or a rendered wrapper of no size
  // holding something that is (a zero-height container of a fixed-position banner, a custom
  // element whose banner is in its shadow root). A click still needs the element itself visible.
  const shows = (el) => {
    if (visible(el)) return true;
    if (!el.isConnected || (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true }))) return false;
    const inner = Array.from(el.querySelectorAll('*'));
    if (el.shadowRoot) inner.push(...el.shadowRoot.querySelectorAll('*'));
    return inner.slice(0, 500).some(visible);
  };
  const disabled = (el) => el.disabled === true || el.getAttribute('aria-disabled') === 'true';
  const isFrame = (el) => el.tagName === 'IFRAME' || el.tagName === 'FRAME';

  // A selector's matches under `root` (a document, shadow root or element): CSS, or XPath when
  // written `xpath/…` (DuckDuckGo autoconsent's notation), with `root` as the context node.
  const query = (root, sel) => {
    if (!sel.startsWith('xpath/')) return Array.from(root.querySelectorAll(sel));
    const doc = root.ownerDocument || root;
    const snap = doc.evaluate(sel.slice(6), root, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const out = [];
    for (let i = 0; i < snap.snapshotLength; i++) {
      const n = snap.snapshotItem(i);
      if (n.nodeType === 1) out.push(n);
    }
    return out;
  };

  // Selectors that matched nothing in this document, known to match nothing until the document
  // changes: every look asks for hundreds of rules' selectors, and on most pages almost none is
  // ever there. A mutation anywhere in the (light) document forgets them all. Selectors whose
  // match can change without a mutation (:checked, :hover, a custom element's :defined, …) are
  // always asked.
  if (!S.absent) {
    S.absent = new Set();
    S.unchanged = true;
    new MutationObserver(() => { S.unchanged = false; })
      .observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  } else if (!S.unchanged) {
    S.absent.clear();
    S.unchanged = true;
  }
  const stateful = /:(checked|hover|focus|defined|target|visited|active|enabled|disabled|indeterminate|default|valid|invalid|required|optional|placeholder-shown|read-only|read-write|open|modal|popover-open|fullscreen|playing|paused|autofill|user-)/;
  const knownAbsent = (sel) => S.absent.has(sel);
  const noteAbsent = (sel) => {
    if (!sel.startsWith('xpath/') && !stateful.test(sel)) S.absent.add(sel);
  };

  // Follows one selector chain as far as this document goes. Modes: present, visible, ready
  // (visible and enabled, kept for a click), count (how many matches, how many visible), any
  // (ready, else the first match kept for el.click()), all and all-hidden (every ready match,
  // or every match, kept for el.click()).
  const locate = (chain, key, mode) => {
    let root = document;
    for (let k = 0; k < chain.length; k++) {
      let all;
      if (k === 0 && knownAbsent(chain[0])) {
        all = [];
      } else {
        try {
          all = query(root, chain[k]);
        } catch (e) {
          return { state: 'invalid', at: k, error: String((e && e.message) || e) };
        }
        if (k === 0 && !all.length) noteAbsent(chain[0]);
      }
      if (!all.length) return mode === 'count' ? { state: 'counted', at: k, total: 0, visible: 0 } : { state: 'missing', at: k };
      if (k < chain.length - 1) {
        const host = all.find((e) => isFrame(e) || e.shadowRoot) || all[0];
        if (isFrame(host)) {
          // What is inside a hidden frame is hidden; el.click() reaches it all the same.
          const through = mode === 'present' || mode === 'any' || mode === 'all-hidden';
          if (!through && !visible(host)) {
            return mode === 'count' ? { state: 'counted', at: k, total: 1, visible: 0 } : { state: 'hidden', at: k };
          }
          S.frames.set(key, host);
          return { state: 'frame', at: k, src: host.src || '' };
        }
        root = host.shadowRoot || host;
        continue;
      }
      if (mode === 'present') return { state: 'present', at: k };
      if (mode === 'count') return { state: 'counted', at: k, total: all.length, visible: all.filter(shows).length };
      if (mode === 'all' || mode === 'all-hidden') {
        const chosen = mode === 'all' ? all.filter((el) => visible(el) && !disabled(el)) : all;
        if (!chosen.length) return { state: 'hidden', at: k };
        S.targets.set(key, chosen);
        return { state: 'stored', at: k, count: chosen.length, label: label(chosen[0]) };
      }
      // Until its document is parsed, a frame's handlers may not be attached yet.
      if ((mode === 'ready' || mode === 'any') && document.readyState === 'loading') return { state: 'loading', at: k };
      if (mode === 'visible') return all.some(shows) ? { state: 'visible', at: k } : { state: 'hidden', at: k };
      let state = 'hidden';
      for (const el of all) {
        if (!visible(el)) continue;
        if (disabled(el)) {
          state = 'disabled';
          continue;
        }
        S.targets.set(key, el);
        return { state: 'ready', at: k, label: label(el) };
      }
      if (mode === 'any') {
        S.targets.set(key, all[0]);
        return { state: 'stored', at: k, count: 1, label: label(all[0]) };
      }
      return { state, at: k };
    }
    return { state: 'missing', at: 0 };
  };

  // True when a click at the hit-tested element reaches `el` (through open shadow roots): the
  // hit is `el` or inside it, or a shadow host whose tree holds `el` (a closed or unresolved
  // inner hit stops at the host).
  const reaches = (hit, el) => {
    for (let n = hit; n; n = n.parentNode || n.host) if (n === el) return true;
    for (let n = el; n; n = n.parentNode || n.host) if (n === hit) return !!hit.shadowRoot;
    return false;
  };

  switch (req.op) {
    case 'locate': {
      const results = req.chains.map((c, i) => locate(c, req.keys[i], req.modes ? req.modes[i] : req.mode));
      const out = { url: location.href, results };
      if (req.cookie) out.cookie = document.cookie;
      return out;
    }

    case 'animating':
      // A CSS transition or animation still running (a panel fading in): it advances with
      // frames, in real time, whatever the page's clock does.
      return document.getAnimations().some((a) => a.playState === 'running' || a.pending);

    case 'elClick': {
      // autoconsent's click: el.click() on what `locate` kept (one element, or every match).
      const kept = S.targets.get(req.key);
      const els = (Array.isArray(kept) ? kept : [kept]).filter((el) => el && el.isConnected);
      for (const el of els) el.click();
      return els.length;
    }

    case 'prepare': {
      const el = S.targets.get(req.key);
      if (!el || !el.isConnected) return { gone: true };
      el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      let hit = document.elementFromPoint(x, y);
      while (hit && hit.shadowRoot) {
        const inner = hit.shadowRoot.elementFromPoint(x, y);
        if (!inner || inner === hit) break;
        hit = inner;
      }
      // Still moving (a banner fading in or out, a slide): a click now may land on whatever the
      // movement uncovers. Running animations of the element or its ancestors, a see-through
      // ancestor, or one that takes no pointer events.
      let moving = null;
      for (let n = el; n && n.nodeType === 1; n = n.parentElement || (n.parentNode && n.parentNode.host)) {
        const cs = getComputedStyle(n);
        if (n.getAnimations && n.getAnimations().some((a) => a.playState === 'running')) {
          moving = 'an animation of ' + label(n) + ' is running';
          break;
        }
        if (parseFloat(cs.opacity) < 0.5) {
          moving = label(n) + ' is see-through (opacity ' + cs.opacity + ')';
          break;
        }
        if (cs.pointerEvents === 'none') {
          moving = label(n) + ' takes no pointer events';
          break;
        }
      }
      return { x, y, covered: !reaches(hit, el), by: hit ? label(hit) : 'nothing', moving };
    }

    case 'arm': {
      // Between now and `disarm`, a press or click that does not reach the element (`key`; none
      // in a frame that only holds the way to it) is stopped before the page sees it: the scan's
      // click lands on its target or nowhere. Capturing listeners on the window run first.
      const el = req.key ? S.targets.get(req.key) : null;
      if (S.guard) for (const t of S.guard.types) window.removeEventListener(t, S.guard.fn, true);
      S.stray = [];
      S.clicked = false;
      const fn = (e) => {
        // Once the click reached the element, what follows is its doing (a label's click on its
        // checkbox, a form's submit): let it through.
        if (S.clicked) return;
        if (el && e.composedPath().includes(el)) {
          if (e.type === 'click') S.clicked = true;
          return;
        }
        e.stopImmediatePropagation();
        e.preventDefault();
        if (S.stray.length < 5) S.stray.push(e.type + ' on ' + (e.target && e.target.tagName ? label(e.target) : 'the document'));
      };
      const types = ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click', 'auxclick', 'dblclick'];
      for (const t of types) window.addEventListener(t, fn, true);
      S.guard = { fn, types };
      return true;
    }

    case 'disarm': {
      if (S.guard) for (const t of S.guard.types) window.removeEventListener(t, S.guard.fn, true);
      S.guard = null;
      return { clicked: S.clicked === true, stray: S.stray || [] };
    }

    case 'clicked':
      return S.clicked === true;

    case 'jsClick': {
      const el = S.targets.get(req.key);
      if (!el || !el.isConnected) return false;
      el.click();
      return true;
    }

    case 'hide': {
      let n = 0;
      for (const chain of req.chains) {
        let roots = [document];
        for (let k = 0; k < chain.length && roots.length; k++) {
          let all = [];
          for (const r of roots) {
            try {
              all = all.concat(query(r, chain[k]));
            } catch (e) {}
          }
          if (k === chain.length - 1) {
            for (const el of all) {
              el.style.setProperty('display', 'none', 'important');
              n++;
            }
          } else {
            roots = all.filter((e) => !isFrame(e)).map((e) => e.shadowRoot || e);
          }
        }
      }
      return n;
    }

    case 'css': {
      // A user's selector: the document and its open shadow roots, first visible enabled match.
      const roots = [document];
      const found = [];
      for (let i = 0; i < roots.length; i++) {
        try {
          found.push(...roots[i].querySelectorAll(req.selector));
        } catch (e) {
          return { state: 'invalid', error: String((e && e.message) || e), url: location.href };
        }
        for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
      }
      let state = 'missing';
      for (const el of found) {
        if (!visible(el)) {
          if (state === 'missing') state = 'hidden';
          continue;
        }
        if (disabled(el)) {
          state = 'disabled';
          continue;
        }
        if (document.readyState === 'loading') return { state: 'loading', url: location.href };
        S.targets.set(req.key, el);
        return { state: 'ready', exact: true, label: label(el), url: location.href };
      }
      return { state, url: location.href };
    }

    case 'input': {
      // The chat's message box: a visible, enabled textarea, text input or contenteditable,
      // preferring one whose attributes speak of a message or chat. Focused for typing.
      const roots = [document];
      const boxes = [];
      for (let i = 0; i < roots.length; i++) {
        for (const el of roots[i].querySelectorAll('*')) {
          if (el.shadowRoot) roots.push(el.shadowRoot);
          if (el.matches('textarea, input[type=text], input:not([type]), [contenteditable=""], [contenteditable=true]')) boxes.push(el);
        }
      }
      const hint = (el) => /messag|chat|reply|write|type|nachricht|bericht|сообщ/i.test(
        [el.name, el.id, el.className, el.placeholder, el.getAttribute('aria-label')].join(' '));
      const usable = boxes.filter((el) => visible(el) && !disabled(el) && !el.readOnly);
      const el = usable.find(hint) || (req.any ? usable[0] : null);
      if (!el) return { state: boxes.length ? 'hidden' : 'missing', url: location.href };
      el.focus();
      return { state: 'ready', label: label(el), hinted: hint(el), url: location.href };
    }

    case 'text': {
      // Buttons, links and button-like elements of the document and its open shadow roots.
      const want = squash(req.text).toLowerCase();
      const roots = [document];
      const candidates = [];
      for (let i = 0; i < roots.length; i++) {
        const all = roots[i].querySelectorAll('*');
        for (const el of all) {
          if (el.shadowRoot) roots.push(el.shadowRoot);
          if (el.matches('button, a, [role=button], input[type=button], input[type=submit]')) candidates.push(el);
        }
      }
      let best = null;
      let state = 'missing';
      for (const el of candidates) {
        const t = textOf(el).toLowerCase();
        if (!t || !t.includes(want)) continue;
        const exact = t === want;
        if (!visible(el)) {
          if (state === 'missing') state = 'hidden';
          continue;
        }
        if (disabled(el)) {
          state = 'disabled';
          continue;
        }
        // An exact match wins; among the rest, the shortest text is the most specific.
        if (!best || (exact && !best.exact) || (exact === best.exact && t.length < best.len)) {
          best = { el, exact, len: t.length };
        }
      }
      if (!best) return { state, url: location.href };
      if (document.readyState === 'loading') return { state: 'loading', url: location.href };
      S.targets.set(req.key, best.el);
      return { state: 'ready', exact: best.exact, label: label(best.el), url: location.href };
    }
  }
  return null;
}
