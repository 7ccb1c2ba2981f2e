import { lucia, type InitializeAdapter, type Adapter } from "lucia";
import { express } from "lucia/middleware";

/**
 * The app's Lucia 2 instance, as the Lucia guide sets it up. `cookieDomain` shares the session
 * cookie with the subdomains of that domain (one auth host for several protected apps).
 */
export function createAuth(adapter: InitializeAdapter<Adapter>, env: "DEV" | "PROD", cookieDomain?: string) {
  return lucia({
    adapter,
    env,
    middleware: express(),
    // Lucia's own attributes are replaced whole, so its path and SameSite go along.
    ...(cookieDomain
      ? { sessionCookie: { attributes: { domain: cookieDomain, path: "/", sameSite: "lax" as const } } }
      : {}),
    getUserAttributes: (row) => ({
      displayName: (row.display_name as string | null) ?? null,
      avatarUrl: (row.avatar_url as string | null) ?? null,
      email: (row.email as string | null) ?? null,
    }),
    getSessionAttributes: (row) => ({ userAgent: (row.user_agent as string | null) ?? null }),
  });
}

export type AppAuth = ReturnType<typeof createAuth>;
