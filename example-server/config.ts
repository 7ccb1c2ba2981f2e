import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

/** The example server's settings, all from the environment. */
export interface ExampleConfig {
  readonly port: number;
  readonly cookieSecret: string;
  /** The consumer: real Bitbucket's when its credentials are set, otherwise the shipped fake's. */
  readonly bitbucket: { clientId: string; clientSecret: string; redirectUri: string };
  /** True when `BITBUCKET_CLIENT_ID` and `BITBUCKET_CLIENT_SECRET` select real Bitbucket. */
  readonly real: boolean;
  /** An already-running fake to share; otherwise the server starts its own. */
  readonly fakeUrl: string | undefined;
  readonly fakePort: number;
  readonly databaseUrl: string | undefined;
  readonly databasePath: string;
  readonly production: boolean;
  /** Always with the fake (it grants `email`); with real Bitbucket only when `BITBUCKET_FETCH_EMAIL=1`. */
  readonly fetchEmail: boolean;
  /** `TRUST_PROXY=1`: one TLS-terminating proxy in front, so `req.protocol` reads X-Forwarded-Proto. */
  readonly trustProxy: boolean;
  readonly warnings: readonly string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  const production = env.NODE_ENV === "production";
  const port = Number(env.PORT ?? 3000);
  const warnings: string[] = [];
  let cookieSecret = env.COOKIE_SECRET;
  if (!cookieSecret) {
    if (production)
      throw new Error("COOKIE_SECRET is required when NODE_ENV=production (a long random string).");
    cookieSecret = randomBytes(32).toString("hex");
    warnings.push(
      "COOKIE_SECRET is not set: using a random one for this run; logins in progress will not survive a restart.",
    );
  }
  const clientId = env.BITBUCKET_CLIENT_ID;
  const clientSecret = env.BITBUCKET_CLIENT_SECRET;
  const real = Boolean(clientId && clientSecret);
  return {
    port,
    cookieSecret,
    bitbucket: {
      clientId: real ? (clientId as string) : "fake-client-id",
      clientSecret: real ? (clientSecret as string) : "fake-client-secret",
      redirectUri: env.BITBUCKET_REDIRECT_URI ?? `http://localhost:${port}/login/bitbucket/callback`,
    },
    real,
    fakeUrl: env.BITBUCKET_FAKE_URL,
    fakePort: Number(env.FAKE_BITBUCKET_PORT ?? 4000),
    databaseUrl: env.DATABASE_URL,
    databasePath: env.DATABASE_PATH ?? fileURLToPath(new URL("./example.sqlite", import.meta.url)),
    production,
    trustProxy: env.TRUST_PROXY === "1",
    fetchEmail: !real || env.BITBUCKET_FETCH_EMAIL === "1",
    warnings,
  };
}
