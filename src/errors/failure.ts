import type { NextFunction, Response } from "express";
import { BitbucketAuthError } from "./errors.js";
import { log } from "../util/log.js";
import { redirect } from "../util/redirect.js";

/** Sends a failure to `failureRedirect?error=CODE` when set, otherwise to `next(err)`. */
export type FailureHandler = (err: unknown, res: Response, next: NextFunction) => void;

export function createFailureHandler(options: {
  readonly failureRedirect: string | undefined;
}): FailureHandler {
  // `?error=` goes before any #fragment, or the browser would keep it out of the query.
  // Stryker disable next-line StringLiteral: without failureRedirect the target is never used.
  const [base = "", fragment] = (options.failureRedirect ?? "").split(/#(.*)/s);
  const separator = base.includes("?") ? "&" : "?";
  const target = (code: string) =>
    `${base}${separator}error=${code}${fragment === undefined ? "" : `#${fragment}`}`;
  return (err, res, next) => {
    const known = err instanceof BitbucketAuthError;
    // Every failure reaching here is a BitbucketAuthError (asAuthError wraps the rest); the fallback
    // only names a future slip in the debug log.
    // Stryker disable next-line StringLiteral: see above.
    const code = known ? err.code : "UNEXPECTED";
    // A misconfiguration says how to fix it in the log too, not only in the answer.
    if (code === "COOKIE_SECRET_MISSING") log("login failed: %s: %s", code, (err as Error).message);
    else log("login failed: %s", code);
    if (options.failureRedirect && known && !res.headersSent) {
      redirect(res, 302, target(code));
      return;
    }
    next(err);
  };
}
