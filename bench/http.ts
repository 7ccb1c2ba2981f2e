import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Reply {
  status: number;
  location: string;
  setCookies: string[];
}

/** One GET on loopback with keep-alive; the body is drained and ignored. */
export function get(url: string, cookie?: string, accept = "*/*"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { accept, ...(cookie ? { cookie } : {}) } }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location ?? "",
          setCookies: res.headers["set-cookie"] ?? [],
        }),
      );
    });
    req.on("error", reject);
  });
}

/** `name=value; …` from the cookies a reply sets (cleared ones left out). */
export function cookieHeader(reply: Reply): string {
  return reply.setCookies
    .map((line) => line.split(";")[0] ?? "")
    .filter((pair) => !pair.endsWith("="))
    .join("; ");
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
