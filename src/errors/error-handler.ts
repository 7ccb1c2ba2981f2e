import type { ErrorRequestHandler } from "express";
import { rejectUnknownKeys } from "../util/did-you-mean.js";
import { BitbucketAuthError } from "./errors.js";
import { ERROR_PAGE_CSP, errorPage } from "./error-page.js";

function fail(message: string): never {
  throw new TypeError(`bitbucketErrorHandler: ${message}`);
}

/** Options of {@link bitbucketErrorHandler}. */
export interface BitbucketErrorHandlerOptions {
  /**
   * Where the HTML page's "Back to the start" link goes: a path of this app.
   * @default "/"
   */
  readonly startPath?: string;
}

/**
 * An optional error handler that answers a {@link BitbucketAuthError} with its status, never a
 * stack trace; other errors pass on. A browser (a request that prefers `text/html`) gets a small
 * page with the code, the message and a link to `startPath`, under a Content-Security-Policy that
 * allows no script; everything else, `curl` and API clients included, gets
 * `{ "error": CODE, "message": … }` as JSON. `failureRedirect`, when set, wins over both.
 *
 * @throws TypeError when `startPath` is not a path of this app (`/…`, not `//…`).
 * @example
 * app.use(bitbucketRouter(auth, options));
 * app.use(bitbucketErrorHandler());
 */
export function bitbucketErrorHandler(options: BitbucketErrorHandlerOptions = {}): ErrorRequestHandler {
  rejectUnknownKeys(options, ["startPath"], fail);
  const { startPath = "/" } = options;
  if (typeof startPath !== "string" || !/^\/(?![/\\])[^\s\\]*$/.test(startPath))
    fail(`option "startPath" must be a path of this app, such as "/" (not "//host" or a URL).`);
  return (err, req, res, next) => {
    if (!(err instanceof BitbucketAuthError) || res.headersSent) return next(err);
    // A rate limit says when to come back, as Bitbucket said it.
    if (err.retryAfter !== null) res.setHeader("Retry-After", String(err.retryAfter));
    res.setHeader("Vary", "Accept");
    // JSON first: a request without Accept, or with */* (curl), gets JSON; a browser's text/html wins.
    if (req.accepts(["json", "html"]) !== "html") {
      res.status(err.status).json({ error: err.code, message: err.message });
      return;
    }
    res.setHeader("Content-Security-Policy", ERROR_PAGE_CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "no-store");
    res
      .status(err.status)
      .type("html")
      .send(errorPage(err.status, err.code, err.message, startPath));
  };
}
