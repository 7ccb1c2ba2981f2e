import { createHash } from "node:crypto";

// The page's only style, allowed by its hash: the page runs no script and loads nothing, so its
// Content-Security-Policy can refuse everything else.
const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#172b4d}" +
  "code{background:#f4f5f7;padding:0 .25rem}a{color:#0052cc}";

/** The page's Content-Security-Policy: nothing but its own `<style>`, no framing. */
export const ERROR_PAGE_CSP =
  `default-src 'none'; style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * A small HTML page for a failed sign-in: the code and message (escaped), and a link back to
 * `startPath`. No script and no external resource.
 */
export function errorPage(status: number, code: string, message: string, startPath: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Sign-in failed (${status})</title><style>${STYLE}</style></head><body>` +
    `<h1>Sign-in failed</h1><p id="message">${escape(message)}</p>` +
    `<p>Error code <code id="code">${escape(code)}</code> (HTTP ${status})</p>` +
    `<p><a id="start" href="${escape(startPath)}">Back to the start</a></p></body></html>`
  );
}
