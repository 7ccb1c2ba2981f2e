import { cookieHeader, get, percentile } from "./http.js";

export interface LoginLoadResult {
  loginsPerSecond: number;
  /** How many logins completed. */
  logins: number;
  p50: number;
  p99: number;
  failures: number;
  /** Why each failure failed, by message (a status, or the network error), so none goes unexplained. */
  reasons: Readonly<Record<string, number>>;
}

/**
 * One login as a browser makes it: start → the fake's authorize (approve) → callback. The authorize
 * URL's bitbucket.org origin is pointed at the fake, as a browser's hop would be.
 * @returns the `Cookie` header of the signed-in browser.
 */
export async function loginOnce(
  app: string,
  paths: { start: string; sessionCookie: string },
  fakeUrl: string,
): Promise<string> {
  const start = await get(app + paths.start);
  const authorize = start.location.replace("https://bitbucket.org", fakeUrl);
  const approved = await get(authorize);
  const done = await get(approved.location, cookieHeader(start));
  const cookie = cookieHeader(done);
  if (done.status !== 302 || !cookie.includes(`${paths.sessionCookie}=`))
    throw new Error(`status ${done.status}`);
  return cookie;
}

/**
 * Full logins ({@link loginOnce}) for `seconds`, by `concurrency` simulated browsers.
 */
export async function loginLoad(
  app: string,
  paths: { start: string; sessionCookie: string },
  fakeUrl: string,
  seconds: number,
  concurrency: number,
): Promise<LoginLoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const reasons: Record<string, number> = {};
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const began = performance.now();
      try {
        await loginOnce(app, paths, fakeUrl);
        latencies.push(performance.now() - began);
      } catch (err) {
        failures++;
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        const reason = `${(err as Error).message}${cause ? ` (${cause})` : ""}`;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    loginsPerSecond: latencies.length / elapsed,
    logins: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
    reasons,
  };
}
