import type { RequestHandler } from "express";

const AUTHORIZE = "https://bitbucket.org/site/oauth2/authorize";

/**
 * Express middleware that points the login's 302 at the fake's authorize page instead of
 * bitbucket.org, so a browser or `curl -L` completes the login offline. The browser's hop is the
 * other half of the network edge that {@link routeBitbucketTo} covers for the server.
 * Mount it before `bitbucketRouter`, and only in development or tests.
 *
 * @example
 * if (fake) app.use(rewriteBitbucketRedirects(fake.url));
 */
export function rewriteBitbucketRedirects(fakeUrl: string): RequestHandler {
  const target = new URL("/site/oauth2/authorize", fakeUrl).href;
  return (_req, res, next) => {
    const location = res.location.bind(res);
    res.location = (url: string) =>
      location(url.startsWith(AUTHORIZE) ? target + url.slice(AUTHORIZE.length) : url);
    next();
  };
}
