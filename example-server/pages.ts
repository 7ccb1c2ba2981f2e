import type { User } from "lucia";

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const layout = (body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>express-lucia-bitbucket example</title>` +
  `<meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;color:#172b4d;padding:0 1rem}` +
  `a.login{display:inline-block;background:#0052cc;color:#fff;padding:.6rem 1.2rem;border-radius:4px;text-decoration:none}` +
  `.user{display:flex;gap:1rem;align-items:center}.user img{width:64px;height:64px;border-radius:50%}` +
  `.error{background:#ffebe6;border-left:4px solid #de350b;padding:.8rem}code{background:#f4f5f7;padding:0 .2rem}</style>` +
  `</head><body><h1>express-lucia-bitbucket</h1>${body}</body></html>`;

export function homePage(user: User | null): string {
  if (!user)
    return layout(
      `<p>You are not signed in.</p><p><a class="login" href="/login/bitbucket">Log in with Bitbucket</a></p>`,
    );
  const name = escape(user.displayName ?? "Bitbucket user");
  const avatar = user.avatarUrl ? `<img src="${escape(user.avatarUrl)}" alt="avatar of ${name}">` : "";
  return layout(
    `<div class="user">${avatar}<div><p>Signed in as <strong id="name">${name}</strong></p>` +
      `<p>User id <code id="user-id">${escape(user.userId)}</code>${user.email ? `<br>${escape(user.email)}` : ""}</p></div></div>` +
      `<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  );
}

export function errorPage(status: number, code: string, message: string): string {
  return layout(
    `<div class="error" role="alert"><h2>Login failed</h2><p>${escape(message)}</p>` +
      `<p>Error code <code id="error-code">${escape(code)}</code> (HTTP ${status})</p></div>` +
      `<p><a href="/">Back to the start page</a></p>`,
  );
}
