import type { NextFunction, Response } from "express";
import { BitbucketAuthError } from "./errors.js";
import { log } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { redirect } from "./redirect.js";

/** Sends a failure to `failureRedirect?error=CODE` when set, otherwise to `next(err)`. */
export type FailureHandler = (err: unknown, res: Response, next: NextFunction) => void;

export function createFailureHandler(options: ResolvedOptions): FailureHandler {
  const target = options.failureRedirect;
  const separator = target?.includes("?") ? "&" : "?";
  return (err, res, next) => {
    const code = err instanceof BitbucketAuthError ? err.code : "UNEXPECTED";
    log("login failed: %s", code);
    if (target && err instanceof BitbucketAuthError && !res.headersSent) {
      redirect(res, 302, `${target}${separator}error=${code}`);
      return;
    }
    next(err);
  };
}
