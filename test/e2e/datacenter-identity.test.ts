// Who signed in on Data Center, against every answer an instance (or a proxy in front of it) can
// give: the user headers, the record lookup's pages, and records without their fields. The account
// is keyed on the numeric id only, and every refusal writes nothing.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { FakeDataCenterFault, FakeDataCenterUser } from "../../src/testing/index.js";
import {
  closeDataCenterHarness,
  dcLogin,
  startDataCenterHarness,
  type DataCenterHarness,
} from "../helpers/datacenter.js";

let h: DataCenterHarness | undefined;
afterEach(async () => {
  await closeDataCenterHarness(h);
  h = undefined;
});

const EMPTY = { users: 0, keys: 0, sessions: 0 };
const ONE = { users: 1, keys: 1, sessions: 1 };
// Their slugs are not their names, so the lookup by name misses and the filter is asked.
const person = (id: number, name: string): FakeDataCenterUser => ({
  id,
  name,
  slug: `u-${name.replace(/[^A-Za-z0-9]/g, "_")}`,
  displayName: `Person ${id}`,
  emailAddress: "",
  active: true,
  type: "NORMAL",
});

// The account's keys, read through Lucia, among the ids of the fake's users this login could be.
async function keysOf(harness: DataCenterHarness, ids: Iterable<number>): Promise<string[]> {
  const found: string[] = [];
  for (const id of new Set(ids))
    await harness.auth.getKey("bitbucket-datacenter", String(id)).then(
      () => void found.push(`bitbucket-datacenter:${id}`),
      () => undefined,
    );
  return found;
}

async function loginAs(
  name: string,
  options: {
    readonly users?: readonly FakeDataCenterUser[];
    readonly maxPageSize?: number;
    readonly faults?: readonly FakeDataCenterFault[];
  } = {},
) {
  h = await startDataCenterHarness({
    fake: {
      ...(options.users ? { users: options.users } : {}),
      ...(options.maxPageSize ? { maxPageSize: options.maxPageSize } : {}),
    },
  });
  h.dc.approveAs(name);
  for (const fault of options.faults ?? []) h.dc.setFault(fault);
  const res = await dcLogin(h.agent());
  const err = h.errors[0] as { code?: string; message?: string } | undefined;
  return {
    status: res.status,
    error: res.body.error as string | undefined,
    message: err?.message,
    counts: await h.db.counts(),
    keys: await keysOf(h, [...(options.users ?? []).map((u) => u.id), 101, 102, 555]),
    // The filter's pages, after the lookup by name missed.
    lookups: h.dc.requests
      .filter((r) => r.url.startsWith("/bitbucket/rest/api/latest/users?"))
      .map((r) => r.url),
  };
}

describe("the user headers of the identity call", () => {
  it.each<[string, { userName?: string | null; userId?: string | null }, string, string]>([
    [
      "no X-AUSERNAME",
      { userName: null },
      "BITBUCKET_TOKEN_REJECTED",
      "Bitbucket did not accept the access token.",
    ],
    [
      "an empty X-AUSERNAME",
      { userName: "" },
      "BITBUCKET_TOKEN_REJECTED",
      "Bitbucket did not accept the access token.",
    ],
    ["no X-AUSERID", { userId: null }, "BITBUCKET_USER_INVALID", "without a numeric X-AUSERID"],
    ["a non-numeric X-AUSERID", { userId: "abc" }, "BITBUCKET_USER_INVALID", "without a numeric X-AUSERID"],
    ["an X-AUSERID of 0", { userId: "0" }, "BITBUCKET_USER_INVALID", "without a numeric X-AUSERID"],
    [
      "an X-AUSERID with a leading zero",
      { userId: "0101" },
      "BITBUCKET_USER_INVALID",
      "without a numeric X-AUSERID",
    ],
    [
      "an X-AUSERID with a suffix",
      { userId: "101x" },
      "BITBUCKET_USER_INVALID",
      "without a numeric X-AUSERID",
    ],
    [
      "an X-AUSERID with a prefix",
      { userId: "x101" },
      "BITBUCKET_USER_INVALID",
      "without a numeric X-AUSERID",
    ],
    [
      "an X-AUSERID of 17 digits",
      { userId: "1".repeat(17) },
      "BITBUCKET_USER_INVALID",
      "without a numeric X-AUSERID",
    ],
    ["an X-AUSERID no record has", { userId: "999" }, "BITBUCKET_USER_INVALID", "No user record"],
    ["another user's X-AUSERID", { userId: "102" }, "BITBUCKET_USER_INVALID", "No user record"],
  ])("a 200 with %s is refused, and nothing is written", async (_what, headers, code, message) => {
    const r = await loginAs("ada", {
      faults: [{ endpoint: "application-properties", kind: "headers", ...headers }],
    });
    expect({ status: r.status, error: r.error }).toEqual({ status: 502, error: code });
    expect(r.message).toContain(message);
    expect(r.counts).toEqual(EMPTY);
  });

  it("refuses an identity call that is not a 200, though it names the user", async () => {
    const r = await loginAs("ada", {
      faults: [{ endpoint: "application-properties", kind: "json", status: 404, body: { errors: [] } }],
    });
    expect({ status: r.status, error: r.error, counts: r.counts }).toEqual({
      status: 502,
      error: "BITBUCKET_TOKEN_REJECTED",
      counts: EMPTY,
    });
  });

  it("takes an X-AUSERID of 16 digits as an id", async () => {
    const id = 1234567890123456;
    const r = await loginAs("big", { users: [person(id, "big")] });
    expect(r.status).toBe(302);
    expect(r.keys).toEqual([`bitbucket-datacenter:${id}`]);
  });

  it("takes a name that does not URL-decode as sent (an ASCII name may hold a %)", async () => {
    const r = await loginAs("50%off", { users: [person(201, "50%off")] });
    expect({ status: r.status, counts: r.counts }).toEqual({ status: 302, counts: ONE });
    expect(r.keys).toEqual(["bitbucket-datacenter:201"]);
    expect(new URL(r.lookups[0] ?? "", "http://x").searchParams.get("filter")).toBe("50%off");
  });
});

describe("the record lookup", () => {
  it("asks for the record by name first, and no filter when that is the account", async () => {
    const r = await loginAs("ada");
    expect(r.status).toBe(302);
    expect(r.lookups).toEqual([]);
    expect(h!.dc.requests.filter((q) => q.url.includes("/users")).map((q) => q.url)).toEqual([
      "/bitbucket/rest/api/latest/users/ada",
    ]);
  });

  it("filters by the name, one page of up to 100 records at a time", async () => {
    const r = await loginAs("ada", { users: [person(101, "ada")] });
    expect(r.lookups).toHaveLength(1);
    const query = new URL(r.lookups[0] ?? "", "http://x").searchParams;
    expect(Object.fromEntries(query)).toEqual({ filter: "ada", start: "0", limit: "100" });
  });

  it("follows nextPageStart past other users whose names hold the name", async () => {
    const users = [person(301, "samuel"), person(302, "sampson"), person(303, "sam")];
    const r = await loginAs("sam", { users, maxPageSize: 1 });
    expect({ status: r.status, keys: r.keys }).toEqual({ status: 302, keys: ["bitbucket-datacenter:303"] });
    expect(r.lookups.map((u) => new URL(u, "http://x").searchParams.get("start"))).toEqual(["0", "1", "2"]);
  });

  it("gives up after ten pages without the record: BITBUCKET_USER_INVALID, nothing written", async () => {
    const users = [...Array.from({ length: 10 }, (_, i) => person(400 + i, `sam${i}`)), person(499, "sam")];
    const r = await loginAs("sam", { users, maxPageSize: 1 });
    expect({ status: r.status, error: r.error, counts: r.counts }).toEqual({
      status: 502,
      error: "BITBUCKET_USER_INVALID",
      counts: EMPTY,
    });
    expect(r.lookups).toHaveLength(10);
  });

  it("finds the record on the tenth page", async () => {
    const users = [...Array.from({ length: 9 }, (_, i) => person(400 + i, `sam${i}`)), person(499, "sam")];
    const r = await loginAs("sam", { users, maxPageSize: 1 });
    expect({ status: r.status, keys: r.keys }).toEqual({ status: 302, keys: ["bitbucket-datacenter:499"] });
  });

  const lookupAnswers: [string, FakeDataCenterFault, string][] = [
    ["a 404", { endpoint: "users", kind: "status", status: 404 }, "answered HTTP 404 to the user lookup"],
    ["a 400", { endpoint: "users", kind: "status", status: 400 }, "answered HTTP 400 to the user lookup"],
    [
      "a page without values",
      { endpoint: "users", kind: "json", body: { isLastPage: true } },
      "No user record",
    ],
    ["a null body", { endpoint: "users", kind: "json", body: null }, "No user record"],
    [
      "values that are not a list",
      { endpoint: "users", kind: "json", body: { values: { id: 101 }, isLastPage: true } },
      "No user record",
    ],
    [
      "a page that says it is not the last but gives no next start",
      { endpoint: "users", kind: "json", body: { values: [], isLastPage: false } },
      "No user record",
    ],
    [
      "a page whose next start does not move on",
      { endpoint: "users", kind: "json", body: { values: [], isLastPage: false, nextPageStart: 0 } },
      "No user record",
    ],
    [
      "a record whose id is the string of the id",
      {
        endpoint: "users",
        kind: "json",
        body: { values: [{ ...person(101, "ada"), id: "101" }], isLastPage: true },
      },
      "No user record",
    ],
  ];
  it.each(lookupAnswers)(
    "refuses %s with BITBUCKET_USER_INVALID, nothing written",
    async (_w, fault, message) => {
      const r = await loginAs("ada", { faults: [fault] });
      expect({ status: r.status, error: r.error, counts: r.counts }).toEqual({
        status: 502,
        error: "BITBUCKET_USER_INVALID",
        counts: EMPTY,
      });
      expect(r.message).toContain(message);
    },
  );

  it("asks no further page after one that does not move on", async () => {
    const r = await loginAs("ada", {
      faults: [
        { endpoint: "users", kind: "json", body: { values: [], isLastPage: false, nextPageStart: 0 } },
      ],
    });
    expect(r.lookups).toHaveLength(1);
  });

  it("follows a next start that moves on, even from a page of other users", async () => {
    // The lookup by name and the first page (a fault, twice) have only someone else; the second
    // page is the fake's own answer.
    const r = await loginAs("ada", {
      users: [person(555, "adam"), person(101, "ada")],
      faults: [
        {
          endpoint: "users",
          kind: "json",
          times: 2,
          body: { values: [person(555, "adam")], isLastPage: false, nextPageStart: 1 },
        },
      ],
    });
    expect({ status: r.status, keys: r.keys }).toEqual({ status: 302, keys: ["bitbucket-datacenter:101"] });
    expect(r.lookups.map((u) => new URL(u, "http://x").searchParams.get("start"))).toEqual(["0", "1"]);
  });

  it.each(["name", "slug", "active", "type"] as const)(
    "refuses a record without its %s, nothing written",
    async (field) => {
      const { [field]: _left, ...record } = person(101, "ada");
      const r = await loginAs("ada", {
        faults: [{ endpoint: "users", kind: "json", body: { values: [record], isLastPage: true } }],
      });
      expect({ status: r.status, error: r.error, counts: r.counts }).toEqual({
        status: 502,
        error: "BITBUCKET_USER_INVALID",
        counts: EMPTY,
      });
      expect(r.message).toBe("Bitbucket's user record lacks its name, slug, active flag or type.");
    },
  );

  it("skips null entries and takes the record with the id", async () => {
    const r = await loginAs("ada", {
      faults: [
        {
          endpoint: "users",
          kind: "json",
          body: { values: [null, { ...person(101, "ada"), displayName: "From the page" }], isLastPage: true },
        },
      ],
    });
    expect({ status: r.status, keys: r.keys }).toEqual({ status: 302, keys: ["bitbucket-datacenter:101"] });
  });
});
