import type { RequestHandler } from "express";
import {
  BitbucketAuthError,
  checkBitbucketAccess,
  refreshBitbucketTokens,
  type BitbucketAccess,
  type BitbucketAllow,
} from "express-lucia-bitbucket";
import type { AppDatabase } from "./database.js";
import type { AppAuth } from "./lucia.js";

interface RecheckOptions {
  readonly allow: BitbucketAllow;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A check younger than this is trusted; 0 re-checks on every request. */
  readonly intervalMs: number;
}

/**
 * The README's revocation recipe: the tokens stored at login re-check `allow` at most once per
 * interval. Someone who no longer qualifies loses every session at once; an outage changes nothing
 * (the check runs again on the next request).
 */
export function accessRecheck(auth: AppAuth, db: AppDatabase, options: RecheckOptions): RequestHandler {
  const { allow, clientId, clientSecret, intervalMs } = options;

  const refresh = async (userId: string, refreshToken: string): Promise<BitbucketAccess> => {
    const fresh = await refreshBitbucketTokens({ clientId, clientSecret, refreshToken, allow });
    // Store first: the old refresh token is spent whatever the check says.
    await db.tokens.save(userId, {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      accessExpiresAt: Date.now() + fresh.accessTokenExpiresIn * 1000,
      checkedAt: 0,
    });
    if (fresh.accessCheckError || !fresh.access) throw fresh.accessCheckError;
    return fresh.access;
  };

  return async (req, res, next) => {
    try {
      const session = await auth.handleRequest(req, res).validate();
      const stored = session ? await db.tokens.get(session.user.userId) : null;
      if (!session || !stored || Date.now() - stored.checkedAt < intervalMs) return next();
      const userId = session.user.userId;
      const access =
        stored.accessExpiresAt <= Date.now()
          ? await refresh(userId, stored.refreshToken)
          : await checkBitbucketAccess({ accessToken: stored.accessToken, allow }).catch((err: unknown) => {
              if (err instanceof BitbucketAuthError && err.code === "BITBUCKET_TOKEN_REJECTED")
                return refresh(userId, stored.refreshToken);
              throw err;
            });
      if (!access.allowed) {
        await auth.invalidateAllUserSessions(userId);
        await db.tokens.remove(userId);
        res.setHeader("Set-Cookie", auth.createSessionCookie(null).serialize());
        return void res.status(403).json({
          error: "ACCESS_NOT_ALLOWED",
          message: `No longer allowed: ${access.reason}. Every session of this user was ended.`,
        });
      }
      const current = await db.tokens.get(userId);
      if (current) await db.tokens.save(userId, { ...current, checkedAt: Date.now() });
      next();
    } catch (err) {
      // An outage is not a removal: keep the session and try again on the next request.
      const code = err instanceof BitbucketAuthError ? err.code : "UNEXPECTED";
      console.warn(`access re-check could not run (${code}); keeping the session for now`);
      next();
    }
  };
}
