import type { Express } from "express";

/** Every bench server: listen on PORT, report its memory after a GC, and say "ready" on stdout. */
export function serve(app: Express): void {
  app.get("/__rss", (_req, res) => {
    // Three full collections: after one, V8 may keep freed old-space pages committed, and RSS then
    // moved by ±10 MB between batches while the heap in use stayed flat.
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    res.json({ rss, heapUsed });
  });
  const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`ready ${typeof address === "object" && address ? address.port : ""}\n`);
  });
  // The load's browsers keep their connections while the other contenders take their turns: with
  // Node's 5 s default, a server closed an idle one just as a browser reused it (ECONNRESET, counted
  // as a failed login). Every contender gets the same longer idle time.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  process.once("SIGTERM", () => process.exit(0));
  process.once("SIGINT", () => process.exit(0));
}

export const SECRET = "bench-cookie-secret-0123456789abcdef";
export const FAKE_URL = process.env.FAKE_URL ?? "http://127.0.0.1:4000";
export const CALLBACK = (port: string | undefined, path: string) => `http://127.0.0.1:${port}${path}`;
