import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** One request a fake received (not its `/_fake/` controls): when it arrived, and when its answer was done. */
export interface FakeServerRequest {
  readonly method: string;
  /** The path and query as sent. */
  readonly url: string;
  /** `performance.now()` at arrival, before any latency. */
  readonly receivedAt: number;
  /** `performance.now()` once the answer was done (or the client hung up); `null` until then. */
  readonly answeredAt: number | null;
}

/** A key and certificate in PEM: the fake then serves https only, as a production instance does. */
export interface FakeTls {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

/** What both fakes share: the loopback server, its request log, its open requests, its end. */
export interface FakeServer {
  /** `http://<host>:<port>`, or `https://` with `tls`. */
  readonly origin: string;
  /** Every request but the controls, in order of arrival. */
  readonly requests: readonly FakeServerRequest[];
  /** How many requests are still being answered: a stalled body counts until the client hangs up. */
  openRequests(): number;
  /** Resolves as soon as {@link openRequests} is 0 (at once when it already is). */
  whenNoOpenRequests(): Promise<void>;
  /** Ends every connection and the server. */
  close(): Promise<void>;
}

/** True for a request to the fake's own controls, which are neither logged nor delayed. */
export const isControl = (req: IncomingMessage) => (req.url ?? "").startsWith("/_fake/");

/**
 * Starts a fake's server on loopback (port 0: the OS picks). `handle` answers each request; what it
 * throws becomes a 500 in `failure`'s shape (or a cut connection once the head is out).
 */
export async function startFakeServer(
  options: {
    readonly port?: number;
    readonly host?: string;
    /** A prefix the controls answer under too (the fake Data Center's context path). */
    readonly controlPrefix?: string;
    readonly tls?: FakeTls;
  },
  handle: (req: IncomingMessage, res: ServerResponse) => unknown,
  failure: (res: ServerResponse) => void,
): Promise<FakeServer> {
  let open = 0;
  let idle: (() => void)[] = [];
  const requests: FakeServerRequest[] = [];
  const prefix = options.controlPrefix ? `${options.controlPrefix}/_fake/` : undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // The controls under the prefix are the same controls: `/bitbucket/_fake/user` is `/_fake/user`.
    if (prefix && req.url?.startsWith(prefix)) req.url = req.url.slice(prefix.length - "/_fake/".length);
    if (!isControl(req)) {
      const entry = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        receivedAt: performance.now(),
        answeredAt: null as number | null,
      };
      requests.push(entry);
      res.once("close", () => void (entry.answeredAt = performance.now()));
    }
    open++;
    res.once("close", () => {
      if (--open > 0) return;
      for (const resolve of idle) resolve();
      idle = [];
    });
    Promise.resolve()
      .then(() => handle(req, res))
      .catch(() => {
        if (!res.headersSent) failure(res);
        else res.destroy();
      });
  };
  const tls = options.tls;
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    origin: `${tls ? "https" : "http"}://${host}:${address.port}`,
    requests,
    openRequests: () => open,
    whenNoOpenRequests: () =>
      open === 0 ? Promise.resolve() : new Promise<void>((resolve) => void idle.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits like a distant server, but ends early when the client gives up, leaving no timer behind. */
export function wait(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
