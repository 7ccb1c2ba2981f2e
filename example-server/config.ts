import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type {
  BitbucketAllow,
  BitbucketDataCenterAllow,
  BitbucketDataCenterPermission,
  BitbucketWorkspaceRole,
} from "express-lucia-bitbucket";

/** The example server's settings, all from the environment. */
export interface ExampleConfig {
  readonly port: number;
  readonly cookieSecret: string;
  /** The consumer: real Bitbucket's when its credentials are set, otherwise the shipped fake's. */
  readonly bitbucket: { clientId: string; clientSecret: string; redirectUri: string };
  /** True when `BITBUCKET_CLIENT_ID` and `BITBUCKET_CLIENT_SECRET` select real Bitbucket. */
  readonly real: boolean;
  /**
   * `"datacenter"` with `BITBUCKET_SERVER_URL` (a real instance) or `BITBUCKET_EDITION=datacenter`
   * (the fake Data Center); otherwise `"cloud"`.
   */
  readonly edition: "cloud" | "datacenter";
  /** `BITBUCKET_SERVER_URL`: the real Data Center instance; `undefined` for Cloud or the fake. */
  readonly serverUrl: string | undefined;
  /** An already-running fake to share; otherwise the server starts its own. */
  readonly fakeUrl: string | undefined;
  readonly fakePort: number;
  readonly databaseUrl: string | undefined;
  readonly databasePath: string;
  readonly production: boolean;
  /** `TOKEN_KEY` (newest first, comma-separated): seals the stored Bitbucket tokens. */
  readonly tokenKeys: readonly string[];
  /** Always with the fake (it grants `email`); with real Bitbucket only when `BITBUCKET_FETCH_EMAIL=1`. */
  readonly fetchEmail: boolean;
  /** `TRUST_PROXY=1`: one TLS-terminating proxy in front, so `req.protocol` reads X-Forwarded-Proto. */
  readonly trustProxy: boolean;
  /** Cloud: from `BITBUCKET_WORKSPACES`, `BITBUCKET_MIN_ROLE` and `BITBUCKET_REPOSITORIES`; `undefined` when none is set. */
  readonly allow: BitbucketAllow | undefined;
  /** Data Center: from `BITBUCKET_PROJECTS`, `BITBUCKET_REPOSITORIES` and `BITBUCKET_PERMISSION`. */
  readonly dataCenterAllow: BitbucketDataCenterAllow | undefined;
  /** `BITBUCKET_RECHECK_SECONDS` (default 300) in milliseconds: how old a check may get before a request re-checks. */
  readonly recheckMs: number;
  /** `RETURN_TO_HOSTS` (comma-separated): hosts an absolute `?returnTo` may name (the router's `returnToHosts`). */
  readonly returnToHosts: readonly string[] | undefined;
  /** `SESSION_COOKIE_DOMAIN`: the session cookie's `Domain`, for one auth host serving its subdomains. */
  readonly sessionCookieDomain: string | undefined;
  /**
   * `FORWARD_AUTH=1`: the forward-auth check under `/_auth` (docs/forward-auth.md), with
   * `FORWARD_AUTH_LOGIN_URL` (default: the login route on `BITBUCKET_REDIRECT_URI`'s origin) and
   * `FORWARD_AUTH_RULES`, a JSON object of named rules. `null` when off.
   */
  readonly forwardAuth: {
    readonly loginUrl: string;
    readonly rules: Readonly<Record<string, unknown>>;
  } | null;
  readonly warnings: readonly string[];
}

/** The NODE_ENV values that count as development; any other value (`Production`, `prod`, `staging`) is production. */
const DEVELOPMENT = new Set([undefined, "", "development", "test"]);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  // Fail safe: only a value known to mean development may start the fake or use random secrets.
  const production = !DEVELOPMENT.has(env.NODE_ENV);
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
  // Half a pair is a mistake, never a cue to fall back to the fake; production never runs the fake.
  if (Boolean(clientId) !== Boolean(clientSecret)) {
    throw new Error(
      `${clientId ? "BITBUCKET_CLIENT_SECRET" : "BITBUCKET_CLIENT_ID"} is missing: set both BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET for real Bitbucket, or neither for the fake.`,
    );
  }
  if (production && !real) {
    throw new Error(
      "BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET are required when NODE_ENV=production: the fake Bitbucket never runs in production.",
    );
  }
  let tokenKeys = (env.TOKEN_KEY ?? "").split(",").filter(Boolean);
  if (tokenKeys.length === 0) {
    if (production)
      throw new Error(
        "TOKEN_KEY is required when NODE_ENV=production: 32+ random characters that seal the stored tokens (openssl rand -base64 32).",
      );
    tokenKeys = [randomBytes(32).toString("base64")];
    warnings.push(
      "TOKEN_KEY is not set: sealing the stored tokens with a random key for this run; after a restart, signed-in users are asked to log in again.",
    );
  }
  if (tokenKeys.some((k) => k.length < 32))
    throw new Error("TOKEN_KEY must be at least 32 characters (comma-separate several, newest first).");
  const list = (value: string | undefined) =>
    (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const editionName = env.BITBUCKET_EDITION ?? "";
  if (!["", "cloud", "datacenter"].includes(editionName))
    throw new Error(`BITBUCKET_EDITION must be "cloud" or "datacenter"; got ${JSON.stringify(editionName)}.`);
  const serverUrl = env.BITBUCKET_SERVER_URL || undefined;
  const edition = serverUrl || editionName === "datacenter" ? "datacenter" : "cloud";
  if (serverUrl && !real)
    throw new Error(
      "BITBUCKET_SERVER_URL needs BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET (the incoming application link's); without all three, BITBUCKET_EDITION=datacenter runs the fake Data Center.",
    );
  if (edition === "datacenter" && real && !serverUrl)
    throw new Error("BITBUCKET_EDITION=datacenter with real credentials needs BITBUCKET_SERVER_URL.");
  const workspaces = list(env.BITBUCKET_WORKSPACES);
  const repositories = list(env.BITBUCKET_REPOSITORIES);
  const projects = list(env.BITBUCKET_PROJECTS);
  const role = env.BITBUCKET_MIN_ROLE as BitbucketWorkspaceRole | undefined;
  const permission = env.BITBUCKET_PERMISSION as BitbucketDataCenterPermission | undefined;
  // Each edition's rules by their own names; the other edition's are a mistake, said as such.
  for (const [name, given, wanted] of [
    ["BITBUCKET_WORKSPACES", workspaces.length > 0, "cloud"],
    ["BITBUCKET_MIN_ROLE", Boolean(role), "cloud"],
    ["BITBUCKET_PROJECTS", projects.length > 0, "datacenter"],
    ["BITBUCKET_PERMISSION", Boolean(permission), "datacenter"],
  ] as const) {
    if (given && edition !== wanted)
      throw new Error(
        `${name} is for Bitbucket ${wanted === "cloud" ? "Cloud" : "Data Center (BITBUCKET_EDITION=datacenter or BITBUCKET_SERVER_URL)"}.`,
      );
  }
  const dataCenterAllow =
    edition === "datacenter" && (projects.length || repositories.length || permission)
      ? {
          ...(projects.length ? { projects } : {}),
          ...(repositories.length ? { repositories } : {}),
          ...(permission ? { permission } : {}),
        }
      : undefined;
  const allow =
    edition === "cloud" && (workspaces.length || repositories.length || role)
      ? {
          ...(workspaces.length ? { workspaces } : {}),
          ...(repositories.length ? { repositories } : {}),
          ...(role ? { role } : {}),
        }
      : undefined;
  // Digits only: `1e300` would read as a number that switches the guard off, and "" as 0.
  const recheck = env.BITBUCKET_RECHECK_SECONDS ?? "300";
  if (!/^(0|[1-9][0-9]{0,4})$/.test(recheck) || Number(recheck) > 86_400)
    throw new Error(
      `BITBUCKET_RECHECK_SECONDS must be a whole number of seconds from 0 to 86400 (0 re-checks on every request); got ${JSON.stringify(recheck)}.`,
    );
  const recheckSeconds = Number(recheck);
  const redirectUri = env.BITBUCKET_REDIRECT_URI ?? `http://localhost:${port}/login/bitbucket/callback`;
  const returnToHosts = list(env.RETURN_TO_HOSTS);
  const forwardAuth =
    env.FORWARD_AUTH === "1" ? forwardAuthOf(env, redirectUri, allow ?? dataCenterAllow) : null;
  return {
    port,
    cookieSecret,
    bitbucket: {
      clientId: real ? (clientId as string) : "fake-client-id",
      clientSecret: real ? (clientSecret as string) : "fake-client-secret",
      redirectUri,
    },
    real,
    edition,
    serverUrl,
    dataCenterAllow,
    fakeUrl: env.BITBUCKET_FAKE_URL,
    fakePort: Number(env.FAKE_BITBUCKET_PORT ?? 4000),
    databaseUrl: env.DATABASE_URL,
    databasePath: env.DATABASE_PATH ?? fileURLToPath(new URL("./example.sqlite", import.meta.url)),
    production,
    tokenKeys,
    trustProxy: env.TRUST_PROXY === "1",
    allow,
    recheckMs: recheckSeconds * 1000,
    fetchEmail: edition === "cloud" && (!real || env.BITBUCKET_FETCH_EMAIL === "1"),
    returnToHosts: returnToHosts.length ? returnToHosts : undefined,
    sessionCookieDomain: env.SESSION_COOKIE_DOMAIN || undefined,
    forwardAuth,
    warnings,
  };
}

/** `FORWARD_AUTH=1`'s settings: where to log in, and the named rules, read as JSON. */
function forwardAuthOf(env: NodeJS.ProcessEnv, redirectUri: string, allow: object | undefined) {
  // The check keeps `allow` holding, as the guard does: without rules it would admit anyone.
  if (!allow)
    throw new Error(
      "FORWARD_AUTH=1 needs the rules of who may sign in: BITBUCKET_WORKSPACES (Cloud) or BITBUCKET_PROJECTS (Data Center), or BITBUCKET_REPOSITORIES.",
    );
  let rules: unknown = {};
  try {
    rules = JSON.parse(env.FORWARD_AUTH_RULES ?? "{}");
  } catch {
    throw new Error(
      'FORWARD_AUTH_RULES must be a JSON object of named rules, such as {"ops":{"workspaces":["acme"],"role":"owner"}}.',
    );
  }
  if (rules === null || typeof rules !== "object" || Array.isArray(rules))
    throw new Error("FORWARD_AUTH_RULES must be a JSON object of named rules.");
  const loginUrl = env.FORWARD_AUTH_LOGIN_URL ?? new URL("/login/bitbucket", redirectUri).href;
  return { loginUrl, rules: rules as Readonly<Record<string, unknown>> };
}
