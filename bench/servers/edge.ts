import { Agent, setGlobalDispatcher, type Dispatcher } from "undici";

const BITBUCKET = new Set(["https://bitbucket.org", "https://api.bitbucket.org"]);

/**
 * Routes fetch calls for bitbucket.org to the fake at the dispatcher, the lowest network layer a
 * process can reach, so the bench measures the provider's own fetch without a wrapper around it.
 */
export function routeBitbucketByDispatcher(fakeUrl: string): void {
  const fake = new URL(fakeUrl).origin;
  class RoutingAgent extends Agent {
    override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
      const origin = String(options.origin ?? "");
      return super.dispatch(BITBUCKET.has(origin) ? { ...options, origin: fake } : options, handler);
    }
  }
  setGlobalDispatcher(new RoutingAgent({ keepAliveTimeout: 10_000 }));
}
