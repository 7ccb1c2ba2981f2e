// How every way a Bitbucket call can fail becomes one coded error: the mapping itself, driven with
// the real `Response`, `Request` and stream classes the provider and fetch hand us.
import { getEventListeners, once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { BitbucketAuthError } from "../../../src/index.js";
import {
  createDeadline,
  fetchJson,
  fromThrown,
  readBody,
  tokenEndpointError,
  type Deadline,
  type Endpoint,
} from "../../../src/http/upstream.js";
import { cloudApiError, isNoAccess } from "../../../src/editions/cloud/api-errors.js";

// Every deadline a test makes is ended after it, as the routes end theirs: no timer outlives a test.
const made: Deadline[] = [];
const deadlineOf = (ms: number): Deadline => {
  const deadline = createDeadline(ms);
  made.push(deadline);
  return deadline;
};
afterEach(() => {
  for (const deadline of made.splice(0)) deadline.end();
});

/** A server on loopback for the suite: `handler` answers every request; `url()` is `path` on it. */
function loopback(path: string, handler: http.RequestListener): { url(): string } {
  let server: http.Server;
  let url = "";
  beforeAll(async () => {
    server = http.createServer(handler);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: () => url };
}

const scopeBody = (required: unknown) =>
  JSON.stringify({
    type: "error",
    error: {
      message: "Your credentials lack one or more required privilege scopes.",
      detail: { required, granted: ["account"] },
    },
  });
const ENABLE =
  "Enable it in the consumer's settings in Bitbucket (Workspace settings → OAuth consumers → Permissions).";
const refusedFor = (permissions: string) =>
  `Bitbucket refused: the OAuth consumer lacks the ${permissions} permission. ${ENABLE}`;

/** The mapping a call at `endpoint` gets: the token endpoint's (both editions), or Cloud's API's. */
const fromHttpError = (endpoint: Endpoint, status: number, body: string, headers = new Headers()) =>
  (endpoint === "token" || endpoint === "refresh" ? tokenEndpointError : cloudApiError)(endpoint, {
    status,
    body,
    headers,
  });

const causeOf = (err: BitbucketAuthError) => (err.cause as Error).message;

describe("an HTTP error from Bitbucket maps onto a code, keeping only its short error field", () => {
  it.each<[Endpoint, number, string, string, string, string]>([
    [
      "token",
      400,
      '{"error":"invalid_grant"}',
      "TOKEN_EXCHANGE_FAILED",
      "Bitbucket refused the authorization code.",
      "Bitbucket's token endpoint answered HTTP 400 (invalid_grant)",
    ],
    ["token", 400, "{}", "TOKEN_EXCHANGE_FAILED", "", "Bitbucket's token endpoint answered HTTP 400"],
    [
      "token",
      400,
      '{"error":5}',
      "TOKEN_EXCHANGE_FAILED",
      "",
      "Bitbucket's token endpoint answered HTTP 400",
    ],
    [
      "token",
      400,
      '{"error":"invalid-grant Bearer X.Y"}',
      "TOKEN_EXCHANGE_FAILED",
      "",
      "Bitbucket's token endpoint answered HTTP 400 (invalidgrantearer)",
    ],
    ["token", 401, '{"error":"invalid_grant"}', "CLIENT_CREDENTIALS_REJECTED", "", ""],
    ["token", 400, '{"error":"unauthorized_client"}', "CLIENT_CREDENTIALS_REJECTED", "", ""],
    ["token", 400, '{"error":"invalid_client"}', "CLIENT_CREDENTIALS_REJECTED", "", ""],
    ["refresh", 400, '{"error":"invalid_grant"}', "REFRESH_TOKEN_INVALID", "", ""],
    ["refresh", 401, "", "CLIENT_CREDENTIALS_REJECTED", "", "Bitbucket's refresh endpoint answered HTTP 401"],
    ["user", 503, "", "BITBUCKET_UNAVAILABLE", "Bitbucket answered HTTP 503.", ""],
    ["token", 502, "", "BITBUCKET_UNAVAILABLE", "Bitbucket answered HTTP 502.", ""],
    ["user", 418, "", "BITBUCKET_UNAVAILABLE", "Bitbucket answered HTTP 418.", ""],
    ["user", 429, "", "BITBUCKET_RATE_LIMITED", "", "Bitbucket's user endpoint answered HTTP 429"],
    ["user", 401, "", "BITBUCKET_TOKEN_REJECTED", "", ""],
    ["user", 403, "{}", "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["emails", 403, "{}", "SCOPE_MISSING", refusedFor("'email' (Account: Email)"), ""],
    [
      "api",
      403,
      scopeBody(["repository"]),
      "SCOPE_MISSING",
      refusedFor("'repository' (Repositories: Read)"),
      "",
    ],
    [
      "api",
      403,
      scopeBody(["repository", "project:admin"]),
      "SCOPE_MISSING",
      refusedFor("'repository' (Repositories: Read), 'project:admin'"),
      "",
    ],
    // A `required` list that is not plain scope names is not repeated: the endpoint's own is named.
    ["user", 403, scopeBody(["Xaccount"]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["user", 403, scopeBody(["accountX"]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["user", 403, scopeBody([5]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["user", 403, scopeBody(["email", 5]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    // Values that only turn into scope names when made strings: null, and a nested list.
    ["user", 403, scopeBody([null]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["user", 403, scopeBody([["email"]]), "SCOPE_MISSING", refusedFor("'account' (Account: Read)"), ""],
    ["emails", 403, "not json", "SCOPE_MISSING", refusedFor("'email' (Account: Email)"), ""],
  ])("%s, HTTP %i, %s: %s", (endpoint, status, body, code, message, cause) => {
    const err = fromHttpError(endpoint, status, body);
    expect(err).toBeInstanceOf(BitbucketAuthError);
    expect(err.code).toBe(code);
    if (message) expect(err.message).toBe(message);
    expect(causeOf(err)).toEqual(cause || expect.stringContaining(`HTTP ${status}`));
  });
});

describe("anything a Bitbucket call throws becomes a coded error", () => {
  it("keeps our own errors as they are", async () => {
    const ours = new BitbucketAuthError("STATE_MISMATCH");
    expect(await fromThrown(ours, "user")).toBe(ours);
  });

  it("reads a body that is not JSON as an outage, naming the endpoint in the cause", async () => {
    const err = await fromThrown(new SyntaxError("Unexpected token <"), "emails");
    expect(err.code).toBe("BITBUCKET_UNAVAILABLE");
    expect(err.message).toBe("Bitbucket answered with a body that is not JSON.");
    expect(causeOf(err)).toBe("Bitbucket's emails endpoint sent invalid JSON");
  });

  it.each<[string, unknown, string]>([
    [
      "a refused connection",
      Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }),
      "Request to Bitbucket's token endpoint failed: ECONNREFUSED",
    ],
    [
      "a failure without a code",
      new TypeError("fetch failed"),
      "Request to Bitbucket's token endpoint failed",
    ],
    ["something that is not an error", undefined, "Request to Bitbucket's token endpoint failed"],
  ])("reads %s as Bitbucket being unreachable", async (_name, thrown, cause) => {
    const err = await fromThrown(thrown, "token");
    expect(err.code).toBe("BITBUCKET_UNAVAILABLE");
    expect(err.message).toBe("Bitbucket could not be reached.");
    expect(causeOf(err)).toBe(cause);
  });
});

describe("the deadline", () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

  it("makes no timer until it is used, one however often it is raced, and none once ended", async () => {
    const before = timers();
    const deadline = deadlineOf(60_000);
    expect(timers()).toBe(before);
    await expect(deadline.race(Promise.resolve("answer"))).resolves.toBe("answer");
    await expect(deadline.race(Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(timers()).toBe(before + 1);
    expect(getEventListeners(deadline.signal, "abort")).toEqual([]);
    deadline.end();
    deadline.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).toBe(before);
  });

  it("aborts what still runs under it when ended, so nothing of a callback outlives it", async () => {
    const deadline = deadlineOf(60_000);
    const { signal } = deadline;
    const late = deadline.race(new Promise(() => undefined)).catch((err: unknown) => err);
    expect(signal.aborted).toBe(false);
    deadline.end();
    expect(signal.aborted).toBe(true);
    expect(((await late) as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
    // A race begun after the end loses at once.
    const after = await deadline.race(Promise.resolve("late")).catch((err: unknown) => err);
    expect((after as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
  });

  it("still observes a call raced after the end, so its late rejection is not unhandled", async () => {
    const deadline = deadlineOf(60_000);
    deadline.end();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      let fail: (err: Error) => void = () => undefined;
      const late = new Promise<never>((_resolve, reject) => (fail = reject));
      const lost = await deadline.race(late).catch((err: unknown) => err);
      expect((lost as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
      fail(new Error("the call failed after the race was lost"));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("aborts its signal when the time is up", async () => {
    const deadline = deadlineOf(1000);
    const began = Date.now();
    await once(deadline.signal, "abort");
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    deadline.end();
  });

  it("rejects a call that outlives it with BITBUCKET_TIMEOUT", async () => {
    const thrown = await deadlineOf(1000)
      .race(new Promise(() => undefined))
      .catch((err: unknown) => err);
    expect((thrown as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
    expect((thrown as BitbucketAuthError).message).toBe("Bitbucket did not answer within 1000 ms.");
  });
});

describe("fetchJson reads a 404 as 'no access' only when asked to", () => {
  const server = loopback("/2.0/user/emails", (_req, res) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"type":"error","error":{"message":"Not found"}}');
  });

  it("throws BITBUCKET_UNAVAILABLE by default", async () => {
    const thrown = await fetchJson("emails", server.url(), {}, deadlineOf(10_000), cloudApiError).catch(
      (err: unknown) => err,
    );
    expect((thrown as BitbucketAuthError).code).toBe("BITBUCKET_UNAVAILABLE");
    expect((thrown as BitbucketAuthError).message).toBe("Bitbucket answered HTTP 404.");
  });

  it("resolves null with Cloud's isNoAccess", async () => {
    await expect(
      fetchJson("api", server.url(), {}, deadlineOf(10_000), cloudApiError, isNoAccess),
    ).resolves.toBeNull();
  });
});

describe("readBody: every body is read through a reader the deadline cancels", () => {
  const bytes = (...parts: (string | number[])[]) =>
    parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  /** A body of these chunks that then ends, fails, or never goes on. */
  const body = (chunks: Uint8Array[], then: "end" | "fail" | "stall") => {
    let cancelled = false;
    const queue = [...chunks];
    const stream = new ReadableStream<Uint8Array>({
      // One chunk a pull, then the end: an error in start() would drop what was queued.
      pull(controller) {
        const chunk = queue.shift();
        if (chunk) return controller.enqueue(chunk);
        if (then === "end") return controller.close();
        if (then === "fail") return controller.error(new TypeError("terminated"));
        return new Promise<void>(() => undefined);
      },
      cancel: () => {
        cancelled = true;
      },
    });
    return { response: new Response(stream), cancelled: () => cancelled };
  };

  it("decodes the body whole: a character split across chunks stays whole, a BOM is dropped", async () => {
    // "é" is 0xC3 0xA9, split between two chunks; 0xEF 0xBB 0xBF is the BOM.
    const { response } = body(bytes([0xef, 0xbb, 0xbf], '{"name":"Ren', [0xc3], [0xa9], '"}'), "end");
    const deadline = deadlineOf(60_000);
    expect(await readBody(response, deadline)).toBe('{"name":"René"}');
    expect(getEventListeners(deadline.signal, "abort")).toEqual([]);
  });

  it("reads no body as empty", async () => {
    expect(await readBody(new Response(null, { status: 204 }), deadlineOf(60_000))).toBe("");
  });

  it("throws an answer's reset mid-body: half an answer is never taken for one", async () => {
    const { response } = body(bytes('{"access_token":"tr'), "fail");
    await expect(readBody(response, deadlineOf(60_000))).rejects.toThrow("terminated");
  });

  it("cancels a stalled body at the deadline by its own listener: BITBUCKET_TIMEOUT", async () => {
    const { response, cancelled } = body(bytes('{"values": ['), "stall");
    const thrown = await readBody(response, deadlineOf(1000)).catch((err: unknown) => err);
    expect((thrown as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
    expect(cancelled()).toBe(true);
  });

  it("cancels a body at once when the deadline has already passed", async () => {
    const deadline = deadlineOf(1000);
    if (!deadline.signal.aborted) await once(deadline.signal, "abort");
    const { response, cancelled } = body(bytes('{"error":"inv'), "stall");
    const thrown = await readBody(response, deadline).catch((err: unknown) => err);
    expect((thrown as BitbucketAuthError).code).toBe("BITBUCKET_TIMEOUT");
    expect(cancelled()).toBe(true);
  });
});

describe("fetchJson: an answer reset mid-body is an unreachable Bitbucket, not one that sent no JSON", () => {
  const server = loopback("/site/oauth2/access_token", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    // Once the head and the start have gone out, the connection is cut.
    res.write('{"access_token": "trunc', () => res.socket?.destroy());
  });

  it("BITBUCKET_UNAVAILABLE, could not be reached", async () => {
    const thrown = await fetchJson("token", server.url(), {}, deadlineOf(10_000), tokenEndpointError).catch(
      (err: unknown) => err,
    );
    expect((thrown as BitbucketAuthError).code).toBe("BITBUCKET_UNAVAILABLE");
    expect((thrown as BitbucketAuthError).message).toBe("Bitbucket could not be reached.");
  });
});

describe("a 429 carries Bitbucket's Retry-After, on every endpoint of both editions", () => {
  it.each<[Endpoint, string | null, number | null]>([
    ["token", "30", 30],
    ["refresh", "0", 0],
    ["user", "120", 120],
    ["api", null, null],
    ["emails", "Wed, 21 Oct 2026 07:28:00 GMT", null],
    ["api", "1.5", null],
    ["api", "-1", null],
    ["api", "", null],
  ])("%s, Retry-After %p: retryAfter %p", (endpoint, header, retryAfter) => {
    const headers = new Headers(header === null ? {} : { "retry-after": header });
    const err = fromHttpError(endpoint, 429, "", headers);
    expect({ code: err.code, retryAfter: err.retryAfter }).toEqual({
      code: "BITBUCKET_RATE_LIMITED",
      retryAfter,
    });
  });

  it("through fetchJson, from the answer's own header", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(429, { "retry-after": "17", "content-type": "application/json" });
      res.end("{}");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2.0/user`;
      const thrown = (await fetchJson("user", url, {}, deadlineOf(10_000), cloudApiError).catch(
        (err: unknown) => err,
      )) as BitbucketAuthError;
      expect({ code: thrown.code, retryAfter: thrown.retryAfter }).toEqual({
        code: "BITBUCKET_RATE_LIMITED",
        retryAfter: 17,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
