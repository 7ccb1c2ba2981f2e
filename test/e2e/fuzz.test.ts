import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import fc from "fast-check";
import signature from "cookie-signature";
import { ERROR_STATUS } from "../../src/index.js";
import {
  approveAtFake,
  COOKIE_SECRET,
  REDIRECT_URI,
  startHarness,
  stateCookieFor,
  type Harness,
  harnessPending,
} from "../helpers/harness.js";

// `npm test` runs 1,000 callback cases and 300 returnTo logins; `npm run fuzz` sets FUZZ_RUNS=100000.
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
// A fixed seed, in the test's name, so any failure replays exactly (FUZZ_SEED=… to explore others).
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const CODES = new Set(Object.keys(ERROR_STATUS));
// Generous per-test deadline that grows with the run count (a case takes a few milliseconds).
const DEADLINE = 60_000 + RUNS * 20;

let h: Harness;
let server: Server;
let base: string;
beforeAll(async () => {
  h = await startHarness();
  server = h.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
// `?.`: when the harness failed to start, its own error is the one to read.
afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  await h?.close();
});

/** A real login start: the state and the signed cookie value the app issued. */
async function startLogin(
  query = "",
): Promise<{ state: string; name: string; cookie: string; authorizeUrl: string }> {
  const res = await fetch(`${base}/login/bitbucket${query}`, { redirect: "manual" });
  const authorizeUrl = res.headers.get("location") ?? "";
  const state = new URL(authorizeUrl).searchParams.get("state") ?? "";
  const name = stateCookieFor(state);
  const cookie =
    new RegExp(`${name.replace(".", "\\.")}=([^;]*)`).exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";
  return { state, name, cookie, authorizeUrl };
}

const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "%00",
    "../../etc/passwd",
    "<script>",
    "a".repeat(5000),
    "' OR 1=1 --",
    "\u0000",
    "%E0%A4%A",
  ),
);
const param = (name: string, valid: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.constant([] as string[]),
    valid.map((v) => [v]),
    fc.array(fc.oneof(valid, oddString), { minLength: 2, maxLength: 3 }),
    oddString.map((v) => [v]),
    fc.constant([`${name}[a]`]),
  );

type CookieKind =
  "none" | "valid" | "truncated" | "tampered" | "resigned" | "duplicated" | "garbage" | "unsigned";

describe("fuzzing the callback", () => {
  it(
    `holds its invariants over ${RUNS} generated requests, some of them whole logins (seed ${SEED})`,
    async () => {
      const before = await h.db.counts();
      let successes = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            code: param("code", fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)),
            state: fc.oneof(fc.constant("real"), fc.constant("absent"), fc.constant("truncated"), oddString),
            extraState: fc.boolean(),
            error: param("error", fc.constantFrom("access_denied", "server_error", "invalid_scope")),
            cookie: fc.constantFrom<CookieKind>(
              "none",
              "valid",
              "truncated",
              "tampered",
              "resigned",
              "duplicated",
              "garbage",
              "unsigned",
            ),
            garbage: oddString,
            // About a third of the cases carry the real code Bitbucket issued for this login, and one
            // in five is a whole login done right, so the router can't pass by refusing everything.
            approve: fc.oneof(fc.constant(false), fc.constant(false), fc.constant(true)),
            allRight: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
          }),
          async (generated) => {
            const input = generated.allRight
              ? {
                  ...generated,
                  approve: true,
                  state: "real",
                  extraState: false,
                  cookie: "valid" as const,
                  error: [],
                }
              : generated;
            const login = await startLogin();
            const query = new URLSearchParams();
            const realCode = input.approve
              ? new URL(await approveAtFake(login.authorizeUrl), base).searchParams.get("code")
              : null;
            const codes = realCode === null ? input.code : [realCode];
            for (const v of codes) query.append(codes[0] === "code[a]" ? "code[a]" : "code", v);
            for (const v of input.error) query.append("error", v);
            if (input.state === "real") query.append("state", login.state);
            else if (input.state === "truncated") query.append("state", login.state.slice(0, 20));
            else if (input.state !== "absent") query.append("state", input.state);
            if (input.extraState) query.append("state", login.state);
            const cookie = cookieFor(input.cookie, login, input.garbage);
            const res = await fetch(`${base}/login/bitbucket/callback?${query}`, {
              redirect: "manual",
              headers: cookie === undefined ? {} : { cookie },
            });
            // Everything right (real code, real state once, the valid cookie, no ?error): signed in.
            const sentStates = query.getAll("state");
            const valid =
              realCode !== null &&
              sentStates.length === 1 &&
              sentStates[0] === login.state &&
              input.cookie === "valid" &&
              input.error.length === 0;
            if (valid) {
              successes++;
              expect(res.status).toBe(302);
              expect(res.headers.get("location")).toBe("/");
              expect(res.headers.get("set-cookie") ?? "").toMatch(/auth_session=[a-z0-9]+;/);
            } else {
              const body = (await res.json()) as { error?: string };
              expect(res.status).toBeGreaterThanOrEqual(400);
              expect(res.status).toBeLessThan(500);
              expect(CODES.has(body.error ?? "")).toBe(true);
              expect(res.headers.get("set-cookie") ?? "").not.toMatch(/auth_session=[a-z0-9]/);
            }
            // A callback clears the cookie its one `?state` names: the real login's cookie whenever
            // the real state came back, so it can never be used twice.
            const states = query.getAll("state");
            if (states.length === 1 && (states[0] ?? "").length <= 256) {
              expect(res.headers.get("set-cookie") ?? "").toContain(
                `${stateCookieFor(states[0] ?? "")}=; Path=/login/bitbucket; Expires=Thu, 01 Jan 1970`,
              );
            }
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
      // Failures wrote nothing; each success added one session, and at most the one user and key.
      expect(successes).toBeGreaterThan(0);
      expect(await h.db.counts()).toEqual({
        users: successes > 0 ? 1 : before.users,
        keys: successes > 0 ? 1 : before.keys,
        sessions: before.sessions + successes,
      });
    },
    DEADLINE,
  );
});

function cookieFor(
  kind: CookieKind,
  login: { cookie: string; state: string; name: string },
  garbage: string,
): string | undefined {
  const decoded = decodeURIComponent(login.cookie);
  const name = login.name;
  switch (kind) {
    case "none":
      return undefined;
    case "valid":
      return `${name}=${login.cookie}`;
    case "truncated":
      return `${name}=${login.cookie.slice(0, Math.max(1, login.cookie.length - 7))}`;
    case "tampered": {
      const i = decoded.indexOf(login.state);
      return `${name}=${encodeURIComponent(decoded.slice(0, i) + "X" + decoded.slice(i + 1))}`;
    }
    case "resigned":
      return `${name}=${encodeURIComponent(`s:${signature.sign(harnessPending({ state: login.state, issuedAt: Date.now(), returnTo: null, link: null }), "attacker-secret")}`)}`;
    case "duplicated":
      return `${name}=${encodeURIComponent(`s:${signature.sign("x", COOKIE_SECRET)}`)}; ${name}=${login.cookie}`;
    case "garbage":
      return `${name}=${encodeURIComponent(garbage)}`;
    case "unsigned":
      return `${name}=${encodeURIComponent(harnessPending({ state: login.state, issuedAt: Date.now(), returnTo: null, link: null }))}`;
  }
}

describe("fuzzing returnTo", () => {
  const appOrigin = new URL(REDIRECT_URI).origin;
  it(
    `always lands on the app's own origin over ${Math.ceil(RUNS / 3)} whole logins`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            oddString,
            fc.webUrl(),
            fc
              .tuple(
                fc.constantFrom(
                  "//",
                  "/\\",
                  "/\t/",
                  "\\\\",
                  "/%2F/",
                  "https:",
                  "http:/",
                  "/../",
                  " /",
                  "/\n/",
                ),
                fc.domain(),
              )
              .map(([p, d]) => p + d),
          ),
          async (returnTo) => {
            const login = await startLogin(`?returnTo=${encodeURIComponent(returnTo)}`);
            const callback = await approveAtFake(login.authorizeUrl);
            const res = await fetch(`${base}${callback}`, {
              redirect: "manual",
              headers: { cookie: `${login.name}=${login.cookie}` },
            });
            expect(res.status).toBe(302);
            const location = res.headers.get("location") ?? "";
            expect(new URL(location, appOrigin).origin).toBe(appOrigin);
            expect(location.startsWith("/") && !location.startsWith("//") && !location.includes("\\")).toBe(
              true,
            );
          },
        ),
        { numRuns: Math.ceil(RUNS / 3), seed: SEED },
      );
    },
    DEADLINE,
  );
});
