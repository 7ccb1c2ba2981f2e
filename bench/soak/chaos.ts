import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WARM_UP_PATH } from "../servers/edge.js";

/** What the proxy did instead of forwarding: one of these for each faulted request. */
export type ChaosKind = "500" | "429" | "stall" | "reset";
const KINDS: readonly ChaosKind[] = ["500", "429", "stall", "reset"];

export interface Chaos {
  readonly url: string;
  /** How many requests were forwarded, and how many got each fault. */
  readonly counts: Record<ChaosKind | "forwarded" | "exchanges" | "refreshes", number>;
  close(): Promise<void>;
}

/**
 * A proxy in front of the fake Bitbucket that answers `share` of the requests (at random) with a
 * 500, a 429, a stall until the client gives up, or a reset connection, and forwards the rest. The
 * faults strike before the request reaches the fake, so Bitbucket never acts on a request whose
 * answer was lost (a refresh that rotated tokens and then vanished is not modelled).
 */
export async function startChaos(target: string, share: number): Promise<Chaos> {
  const counts: Chaos["counts"] = {
    forwarded: 0,
    "500": 0,
    "429": 0,
    stall: 0,
    reset: 0,
    exchanges: 0,
    refreshes: 0,
  };
  const sockets = new Set<Socket>();
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    counts.forwarded++;
    const upstream = request(
      new URL(req.url ?? "/", target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    if (!req.url?.startsWith("/site/oauth2/access_token")) return void req.pipe(upstream);
    // A token request: read, so that code exchanges and refreshes are counted apart.
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const grant = new URLSearchParams(body.toString()).get("grant_type");
      if (grant === "refresh_token") counts.refreshes++;
      else counts.exchanges++;
      upstream.end(body);
    });
  };
  const server = createServer((req, res) => {
    // An instance's start-up request (`routeBitbucketByDispatcher`'s warm-up) is the harness's own,
    // not a Bitbucket call: a stall there would hang the start, not test the app.
    if (req.url === WARM_UP_PATH || Math.random() >= share) return forward(req, res);
    const kind = KINDS[Math.floor(Math.random() * KINDS.length)] ?? "500";
    counts[kind]++;
    req.resume();
    if (kind === "stall") return;
    if (kind === "reset") return void req.socket.destroy();
    const body = JSON.stringify({
      type: "error",
      error: { message: kind === "429" ? "Rate limit" : "Oops" },
    });
    res.writeHead(Number(kind), {
      "Content-Type": "application/json",
      ...(kind === "429" ? { "Retry-After": "1" } : {}),
    });
    res.end(body);
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
