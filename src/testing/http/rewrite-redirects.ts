import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { RequestHandler } from "express";

const AUTHORIZE = "https://bitbucket.org/site/oauth2/authorize";

/**
 * Express middleware that points the login's 302 at the fake's authorize page instead of
 * bitbucket.org, so a browser or `curl -L` completes the login offline. The browser's hop is the
 * other half of the network edge that {@link routeBitbucketTo} covers for the server.
 * Mount it before `bitbucketRouter` (or any other client's routes), and only in development or tests.
 *
 * It rewrites `Location` however it is set: `res.location`, `res.redirect`, `res.set`,
 * `res.append`, `res.setHeader` or `res.writeHead`, so other clients (Auth.js, passport) work too.
 *
 * @example
 * if (fake) app.use(rewriteBitbucketRedirects(fake.url));
 */
export function rewriteBitbucketRedirects(fakeUrl: string): RequestHandler {
  const target = new URL("/site/oauth2/authorize", fakeUrl).href;
  const rewrite = (url: string) =>
    url === AUTHORIZE || url.startsWith(`${AUTHORIZE}?`) ? target + url.slice(AUTHORIZE.length) : url;
  const rewriteValue = <T extends OutgoingHttpHeader>(value: T): T =>
    (typeof value === "string" ? rewrite(value) : Array.isArray(value) ? value.map(rewrite) : value) as T;
  return (_req, res, next) => {
    // Express's location, redirect, set and append all end in setHeader; writeHead can bypass it.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: OutgoingHttpHeader) =>
      setHeader(name, name.toLowerCase() === "location" ? rewriteValue(value) : value);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) =>
      writeHead(
        ...args.map((arg, i) => (i > 0 ? rewriteHeaders(arg, rewriteValue) : arg)),
      )) as typeof res.writeHead;
    next();
  };
}

/** `writeHead`'s headers, as an object or as Node's flat `[name, value, …]` array. */
function rewriteHeaders(
  arg: unknown,
  rewriteValue: (value: OutgoingHttpHeader) => OutgoingHttpHeader,
): unknown {
  if (Array.isArray(arg)) {
    return arg.map((item: unknown, i) =>
      i % 2 === 1 && String(arg[i - 1]).toLowerCase() === "location"
        ? rewriteValue(item as OutgoingHttpHeader)
        : item,
    );
  }
  if (arg === null || typeof arg !== "object") return arg;
  return Object.fromEntries(
    Object.entries(arg as OutgoingHttpHeaders).map(([name, value]) => [
      name,
      name.toLowerCase() === "location" && value !== undefined
        ? rewriteValue(value as OutgoingHttpHeader)
        : value,
    ]),
  );
}
