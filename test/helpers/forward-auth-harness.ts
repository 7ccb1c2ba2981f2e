// A real app with the router and forward-auth under /_auth, on a real fake Cloud and real SQLite:
// what the forward-auth suites on Cloud start from.
import { expect } from "@jest/globals";
import type { Adapter } from "lucia";
import {
  bitbucketForwardAuth,
  type BitbucketAllow,
  type BitbucketForwardAuthOptions,
  type BitbucketRouterOptions,
  type BitbucketTokenStore,
} from "../../src/index.js";
import type { AppAuth } from "../../example-server/lucia.js";
import { ACCESS_FAKE } from "./access-fixtures.js";
import { login, startHarness, type Agent, type Harness } from "./harness.js";

/** The router's and forward-auth's `allow`: members of the fake's team. */
export const ALLOW = { workspaces: ["fake-team"] };
/** The fake's default consumer. */
export const CLIENT = { clientId: "fake-client-id", clientSecret: "fake-client-secret" };

export interface ForwardAuthSetup {
  /** The one store of the router and forward-auth. */
  readonly tokens: BitbucketTokenStore;
  readonly rules: Readonly<Record<string, BitbucketAllow>>;
  readonly options?: Partial<BitbucketForwardAuthOptions>;
  readonly router?: Partial<BitbucketRouterOptions<AppAuth>>;
  readonly adapter?: (real: Adapter) => Adapter;
}

export function startForwardAuth(setup: ForwardAuthSetup): Promise<Harness> {
  const { tokens, rules, options = {}, router = {}, adapter } = setup;
  return startHarness({
    fake: ACCESS_FAKE,
    router: { allow: ALLOW, tokens, ...router },
    adapter,
    afterRouter: (app, auth) =>
      app.use(
        "/_auth",
        bitbucketForwardAuth(auth, {
          allow: ALLOW,
          ...CLIENT,
          tokens,
          loginUrl: "/login/bitbucket",
          rules,
          ...options,
        }),
      ),
  });
}

/** Signs `as` in through the router: an agent with the session cookie, and the Lucia user id. */
export async function signedInAs(harness: Harness, as: string): Promise<{ agent: Agent; userId: string }> {
  harness.fake.approveAs(as);
  const agent = harness.agent();
  expect((await login(agent)).status).toBe(302);
  return { agent, userId: (await agent.get("/me")).body.userId as string };
}

/** Bitbucket down for the rules' calls: every permission and workspace request answers 503. */
export function rulesOutage(harness: Harness): void {
  harness.fake.setFault({ endpoint: "permission", kind: "status", status: 503 });
  harness.fake.setFault({ endpoint: "workspaces", kind: "status", status: 503 });
}
