/** A request as the fakes record it: when it arrived and when its answer was done. */
export interface Timed {
  readonly url: string;
  readonly receivedAt: number;
  readonly answeredAt: number | null;
}

/**
 * Round trips of a set of requests, counted at the fake: the longest chain of requests each of
 * which arrived only after the one before it was answered. Requests in flight together count once.
 */
export function roundTrips(requests: readonly Timed[]): number {
  const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
  const depth: number[] = [];
  sorted.forEach((r, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) {
      const q = sorted[j] as Timed;
      if (q.answeredAt !== null && q.answeredAt <= r.receivedAt) before = Math.max(before, depth[j] ?? 0);
    }
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

/** The requests a fake received from `from` on, less the browser's own authorize step. */
export function serverRequests(requests: readonly Timed[], from: number): Timed[] {
  return requests.slice(from).filter((r) => !/\/oauth2\/(latest\/)?authorize\b/.test(r.url));
}
