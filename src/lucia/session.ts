import type { Request, Response } from "express";
import type { Auth, Session } from "lucia";
import { asAuthError } from "../errors/errors.js";

/** The valid Lucia session the request carries, or `null`. */
export async function currentSession(auth: Auth, req: Request): Promise<Session | null> {
  const sessionId = auth.readSessionCookie(req.headers.cookie);
  if (!sessionId) return null;
  try {
    return await auth.validateSession(sessionId);
  } catch {
    return null;
  }
}

/**
 * A fresh session on every login: the one the request carried is invalidated first, so a planted
 * session id can never become an authenticated one (session fixation).
 */
export async function replaceSession(
  auth: Auth,
  res: Response,
  previous: Session | null,
  create: () => Promise<Session>,
): Promise<Session> {
  try {
    if (previous) await auth.invalidateSession(previous.sessionId);
    const session = await create();
    res.append("Set-Cookie", auth.createSessionCookie(session).serialize());
    return session;
  } catch (err) {
    throw asAuthError(err, "SESSION_CREATION_FAILED");
  }
}

/** Ends a session and tells the browser to drop its cookie. */
export async function endSession(auth: Auth, res: Response, sessionId: string): Promise<void> {
  await auth.invalidateSession(sessionId).catch(() => undefined);
  res.append("Set-Cookie", auth.createSessionCookie(null).serialize());
}
