const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;color:#172b4d}` +
  `button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}</style></head><body>${body}</body></html>`;

/** Bitbucket's own wording for a misconfigured consumer: an HTML page, never a redirect. */
export function errorPage(title: string, detail: string): string {
  return page(title, `<h1>${escape(title)}</h1><p>${escape(detail)}</p>`);
}

/** The approve/deny page shown to browsers; the form posts back with the same query. */
export function consentPage(query: URLSearchParams, appName: string, userName: string): string {
  const hidden = [...query]
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join("");
  return page(
    "Authorize access - Fake Bitbucket",
    `<h1>Fake Bitbucket</h1><p><strong>${escape(appName)}</strong> wants to read the account of ` +
      `<strong>${escape(userName)}</strong>.</p><form method="post" action="/site/oauth2/authorize">${hidden}` +
      `<button name="decision" value="approve" id="approve">Grant access</button>` +
      `<button name="decision" value="deny" id="deny">Cancel</button></form>`,
  );
}
