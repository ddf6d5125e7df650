//! The page hook: a script in every frame that reports the `document.cookie` writes the browser refused.

/// The binding through which the page hook reports cookies the browser refused.
pub const REFUSED_BINDING: &str = "__chatcookieRefusedCookie";

/// Runs in every frame before its own scripts: wraps the `document.cookie` setter and reports a
/// write the browser did not keep (a refused third-party cookie, say). Network-set cookies that
/// are refused come from `Network.responseReceivedExtraInfo` instead.
pub const COOKIE_HOOK: &str = r#"(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  const report = globalThis.__chatcookieRefusedCookie;
  if (!d || !d.set || !d.get || typeof report !== 'function') return;
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true, enumerable: d.enumerable,
    get() { return d.get.call(this); },
    set(v) {
      d.set.call(this, v);
      try {
        const line = String(v);
        const name = line.split(';')[0].split('=')[0].trim();
        const attrs = line.toLowerCase();
        const deleting = /max-age\s*=\s*(-|0)/.test(attrs) || /expires\s*=[^;]*19[0-9]{2}/.test(attrs);
        const kept = d.get.call(this).split(';').some(c => c.split('=')[0].trim() === name);
        if (!kept && !deleting) report(JSON.stringify({ name, origin: location.origin }));
      } catch (e) {}
    },
  });
})()"#;
