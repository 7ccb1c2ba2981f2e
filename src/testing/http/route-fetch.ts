const BITBUCKET_HOSTS = /^https:\/\/(api\.)?bitbucket\.org\//;

/**
 * Sends every `fetch` to bitbucket.org and api.bitbucket.org to the fake instead: the network edge,
 * where the router's Cloud calls (the token endpoint and the API, which take no base URL) leave the
 * process. Other requests pass through untouched. Returns a function that restores the original
 * `fetch`.
 *
 * Inside Jest, call it from the test file: Jest's sandbox has its own `globalThis`.
 * @example
 * const unroute = routeBitbucketTo(fake.url);
 */
export function routeBitbucketTo(fakeUrl: string, scope: { fetch: typeof fetch } = globalThis): () => void {
  const original = scope.fetch;
  // The fake's origin, as a string: the path is appended to it, never resolved against it, so a
  // `//other-host/…` path (or any other trick a URL parser resolves) cannot leave the fake.
  const base = new URL(fakeUrl).origin;
  const routed: typeof fetch = async (input, init) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!BITBUCKET_HOSTS.test(href)) return original(input, init);
    const request = new Request(input, init);
    const url = new URL(href);
    // A Request's body is a stream; buffering it lets the copy go to another origin without `duplex`.
    const body =
      request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    return original(base + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body,
      // The caller's own signal, not the copy's: `request.signal` follows it only through a weak
      // reference, so once the copy is collected an abort (a deadline) no longer reaches the call.
      signal: init?.signal ?? (input instanceof Request ? input.signal : undefined),
      redirect: request.redirect,
    });
  };
  scope.fetch = routed;
  return () => {
    if (scope.fetch === routed) scope.fetch = original;
  };
}
