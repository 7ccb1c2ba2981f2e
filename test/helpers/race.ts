import type { Adapter } from "lucia";
import type { BitbucketRouterOptions } from "../../src/index.js";
import type { AppAuth } from "../../example-server/lucia.js";
import { approvedCallback, type Harness } from "./harness.js";

/**
 * Hooks for an N-way first-login race. A barrier in the app's attributes hook holds every callback
 * until all N have seen "no user yet", so all N really try to create the user and N-1 must lose on
 * the duplicate key. `onSuccess` counts who ended up creating it (and any login wrongly called a link).
 */
export function raceHooks(n: number) {
  const stats = { arrived: 0, created: 0, linked: 0 };
  let release: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => (release = resolve));
  const router: Partial<BitbucketRouterOptions<AppAuth>> = {
    getUserAttributes: async () => {
      if (++stats.arrived === n) release();
      // The fallback only un-wedges a broken run; it is cleared so no timer outlives the test.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allArrived, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      return {};
    },
    onSuccess: ({ isNewUser, isLinked }) => {
      stats.created += isNewUser ? 1 : 0;
      stats.linked += isLinked ? 1 : 0;
    },
  };
  return { router, stats };
}

/** N browsers each start a login and get a code; then all N callbacks fire at once. */
export async function concurrentCallbacks(h: Harness, n: number) {
  const pending = [];
  for (let i = 0; i < n; i++) {
    const agent = h.agent();
    pending.push({ agent, callback: await approvedCallback(agent) });
  }
  const results = await Promise.all(pending.map(({ agent, callback }) => agent.get(callback)));
  return { agents: pending.map((p) => p.agent), statuses: results.map((r) => r.status) };
}

/**
 * A revocation that lands between a request's session read and its check: once armed, the next
 * session read returns the session and then ends every session of its user, as another request
 * of the same person would.
 */
export function revocationAfterRead() {
  let armed = false;
  const adapter = (real: Adapter): Adapter => ({
    ...real,
    getSession: async (id: string) => {
      const session = await real.getSession(id);
      if (armed && session) {
        armed = false;
        await real.deleteSessionsByUserId(session.user_id);
      }
      return session;
    },
  });
  return { adapter, arm: () => void (armed = true) };
}
