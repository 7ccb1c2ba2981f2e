// A Cloud login in the fewest round trips Bitbucket allows: the code exchange, then `/2.0/user`,
// the gate and the email side by side. Every Bitbucket request the server sends is recorded at the
// edge where it leaves (the routed fetch), with the order of its start and its answer.
import { afterEach, describe, expect, it } from "@jest/globals";
import { approvedCallback, login, startHarness, type Agent, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
let restore: (() => void) | undefined;
afterEach(async () => {
  restore?.();
  await h?.close();
  h = restore = undefined;
});

interface Sent {
  readonly path: string;
  readonly started: number;
  ended: number;
}

/** Records every request through the (already routed) global fetch, in event order, not time. */
function recordRequests(): Sent[] {
  const sent: Sent[] = [];
  let clock = 0;
  const routed = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const entry: Sent = { path: url.pathname, started: ++clock, ended: Infinity };
    sent.push(entry);
    try {
      return await routed(input, init);
    } finally {
      entry.ended = ++clock;
    }
  }) as typeof fetch;
  restore = () => void (globalThis.fetch = routed);
  return sent;
}

/** Round trips: the longest chain of requests each sent only after the one before it answered. */
function roundTrips(sent: readonly Sent[]): number {
  const depth = new Map<Sent, number>();
  for (const r of [...sent].sort((a, b) => a.started - b.started))
    depth.set(r, 1 + Math.max(0, ...sent.filter((q) => q.ended < r.started).map((q) => depth.get(q) ?? 0)));
  return Math.max(0, ...depth.values());
}

/** A login whose browser steps ran before recording: only the server's requests are recorded. */
async function recordedLogin(agent: Agent) {
  const callback = await approvedCallback(agent);
  const sent = recordRequests();
  return { res: await agent.get(callback), sent };
}

const overlap = (a: Sent, b: Sent) => a.started < b.ended && b.started < a.ended;

describe("a Cloud login's round trips", () => {
  it.each([
    ["without allow or fetchEmail", {}, ["/site/oauth2/access_token", "/2.0/user"]],
    [
      "with allow and fetchEmail",
      { allow: { workspaces: ["fake-team"] }, fetchEmail: true },
      [
        "/site/oauth2/access_token",
        "/2.0/user",
        "/2.0/user/workspaces/fake-team/permission",
        "/2.0/user/emails",
      ],
    ],
  ])("are two %s", async (_name, router, paths) => {
    h = await startHarness({ router });
    const { res, sent } = await recordedLogin(h.agent());
    expect(res.status).toBe(302);
    expect(sent.map((r) => r.path).sort()).toEqual([...paths].sort());
    expect(roundTrips(sent)).toBe(2);
  });

  it("sends /2.0/user, the gate and the email at once, after the exchange has answered", async () => {
    h = await startHarness({ router: { allow: { workspaces: ["fake-team"] }, fetchEmail: true } });
    const { res, sent } = await recordedLogin(h.agent());
    expect(res.status).toBe(302);
    const [exchange, ...after] = sent;
    expect(exchange?.path).toBe("/site/oauth2/access_token");
    for (const r of after) expect(r.started).toBeGreaterThan(exchange?.ended ?? Infinity);
    expect(after).toHaveLength(3);
    for (const a of after) for (const b of after) expect(overlap(a, b)).toBe(true);
  });

  it("an outage of /2.0/user keeps its code, and nothing is left in flight or written", async () => {
    h = await startHarness({ router: { allow: { workspaces: ["fake-team"] }, fetchEmail: true } });
    h.fake.setFault({ endpoint: "user", kind: "status", status: 503 });
    const { res, sent } = await recordedLogin(h.agent());
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 502,
      error: "BITBUCKET_UNAVAILABLE",
    });
    expect(sent.every((r) => r.ended !== Infinity)).toBe(true);
    expect(h.fake.openRequests()).toBe(0);
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("a refusal by the gate beside a failing /2.0/user answers as /2.0/user's failure: nobody is named", async () => {
    h = await startHarness({ router: { allow: { workspaces: ["other-team"] } } });
    h.fake.setFault({ endpoint: "user", kind: "status", status: 503 });
    const res = await login(h.agent());
    expect(res.body.error).toBe("BITBUCKET_UNAVAILABLE");
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("a refusal by the gate beside a failing email answers as the refusal", async () => {
    h = await startHarness({ router: { allow: { workspaces: ["other-team"] }, fetchEmail: true } });
    h.fake.setFault({ endpoint: "emails", kind: "status", status: 503 });
    const res = await login(h.agent());
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 403,
      error: "ACCESS_NOT_ALLOWED",
    });
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });

  it("a failing email fails a login the gate allows, with its own code, writing nothing", async () => {
    h = await startHarness({ router: { allow: { workspaces: ["fake-team"] }, fetchEmail: true } });
    h.fake.setFault({ endpoint: "emails", kind: "status", status: 503 });
    const res = await login(h.agent());
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 502,
      error: "BITBUCKET_UNAVAILABLE",
    });
    expect(await h.db.counts()).toEqual({ users: 0, keys: 0, sessions: 0 });
  });
});
