import type { IncomingMessage, ServerResponse } from "node:http";

/** The request body as text (capped at 1 MB). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > 1_000_000) req.destroy();
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" }).end(body);
}

/** 302 back to the app's redirect URI with `params`, echoing `state` as Bitbucket does. */
export function redirectBack(
  res: ServerResponse,
  target: string,
  query: URLSearchParams,
  params: Record<string, string>,
): void {
  const location = new URL(target);
  for (const [key, value] of Object.entries(params)) location.searchParams.set(key, value);
  const state = query.get("state");
  if (state !== null) location.searchParams.set("state", state);
  res.writeHead(302, { Location: location.href, "Cache-Control": "no-store" }).end();
}
