import type { ErrorRequestHandler } from "express";
import { BitbucketAuthError } from "./errors.js";

/**
 * An optional error handler that answers a {@link BitbucketAuthError} with its status and
 * `{ "error": CODE, "message": … }` (JSON), never a stack trace; other errors pass on.
 *
 * @example
 * app.use(bitbucketRouter(auth, options));
 * app.use(bitbucketErrorHandler());
 */
export function bitbucketErrorHandler(): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (!(err instanceof BitbucketAuthError) || res.headersSent) return next(err);
    // A rate limit says when to come back, as Bitbucket said it.
    if (err.retryAfter !== null) res.setHeader("Retry-After", String(err.retryAfter));
    res.status(err.status).json({ error: err.code, message: err.message });
  };
}
