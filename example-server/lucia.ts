import { lucia, type InitializeAdapter, type Adapter } from "lucia";
import { express } from "lucia/middleware";

/** The app's Lucia 2 instance, as the Lucia guide sets it up. */
export function createAuth(adapter: InitializeAdapter<Adapter>, env: "DEV" | "PROD") {
  return lucia({
    adapter,
    env,
    middleware: express(),
    getUserAttributes: (row) => ({
      displayName: (row.display_name as string | null) ?? null,
      avatarUrl: (row.avatar_url as string | null) ?? null,
      email: (row.email as string | null) ?? null,
    }),
    getSessionAttributes: (row) => ({ userAgent: (row.user_agent as string | null) ?? null }),
  });
}

export type AppAuth = ReturnType<typeof createAuth>;
