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
  const disabled = (el) => el.disabled === true || el.getAttribute('aria-disabled') === 'true';
  const isFrame = (el) => el.tagName === 'IFRAME' || el.tagName === 'FRAME';

  // Follows one selector chain as far as this document goes.
  const locate = (chain, key, mode) => {
    let root = document;
    for (let k = 0; k < chain.length; k++) {
      let all;
      try {
        all = Array.from(root.querySelectorAll(chain[k]));
      } catch (e) {
        return { state: 'invalid', at: k, error: String((e && e.message) || e) };
      }
      if (!all.length) return { state: 'missing', at: k };
      if (k < chain.length - 1) {
        const host = all.find((e) => isFrame(e) || e.shadowRoot) || all[0];
        if (isFrame(host)) {
          if (mode !== 'present' && !visible(host)) return { state: 'hidden', at: k };
          S.frames.set(key, host);
          return { state: 'frame', at: k, src: host.src || '' };
        }
        root = host.shadowRoot || host;
        continue;
      }
      if (mode === 'present') return { state: 'present', at: k };
      // Until its document is parsed, a frame's handlers may not be attached yet.
      if (mode === 'ready' && document.readyState === 'loading') return { state: 'loading', at: k };
      let state = 'hidden';
      for (const el of all) {
        if (!visible(el)) continue;
        if (mode === 'visible') return { state: 'visible', at: k };
        if (disabled(el)) {
          state = 'disabled';
          continue;
        }
        S.targets.set(key, el);
        return { state: 'ready', at: k, label: label(el) };
      }
      return { state, at: k };
    }
    return { state: 'missing', at: 0 };
  };

  // True when a click at the hit-tested element reaches `el` (through open shadow roots).
  const reaches = (hit, el) => {
    for (let n = hit; n; n = n.parentNode || n.host) if (n === el) return true;
    return false;
  };

  switch (req.op) {
    case 'locate':
      return { url: location.href, results: req.chains.map((c, i) => locate(c, req.keys[i], req.mode)) };

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
      // Whether the real click arrives is seen from a capturing listener on the window, which
      // runs before any of the page's handlers can stop the event.
      if (S.probe) window.removeEventListener('click', S.probe, true);
      S.clicked = false;
      S.probe = (e) => {
        if (e.composedPath().includes(el)) S.clicked = true;
      };
      window.addEventListener('click', S.probe, true);
      return { x, y, covered: !reaches(hit, el), by: hit ? label(hit) : 'nothing' };
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
              all = all.concat(Array.from(r.querySelectorAll(chain[k])));
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
