const BITBUCKET = new Set(["https://bitbucket.org", "https://api.bitbucket.org"]);
const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");
/** The path of the one request a process sends the fake before routing: it creates Node's agent. */
export const WARM_UP_PATH = "/__warm-up";

interface Dispatcher {
  dispatch(options: { origin?: string | URL }, handler: unknown): boolean;
}

/**
 * Routes fetch calls for bitbucket.org to the fake at the dispatcher, the lowest layer a process
 * can reach: Node's own undici agent does the work, only the origin is swapped, so the bench
 * measures the provider's fetch without a wrapper around it.
 */
export async function routeBitbucketByDispatcher(fakeUrl: string): Promise<void> {
  const fake = new URL(fakeUrl).origin;
  // Node creates its global agent on the first fetch; borrow it rather than bring another undici.
  await fetch(`${fake}${WARM_UP_PATH}`).then((res) => res.body?.cancel());
  const agent = (globalThis as Record<symbol, Dispatcher>)[GLOBAL_DISPATCHER];
  if (!agent) throw new Error("Node's fetch has no global dispatcher to route through");
  const routing: Dispatcher = {
    dispatch: (options, handler) =>
      agent.dispatch(
        BITBUCKET.has(String(options.origin ?? "")) ? { ...options, origin: fake } : options,
        handler,
      ),
  };
  (globalThis as Record<symbol, Dispatcher>)[GLOBAL_DISPATCHER] = routing;
}
