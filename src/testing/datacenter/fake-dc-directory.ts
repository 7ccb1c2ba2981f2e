import type { FakeDataCenterUser } from "./fake-dc-types.js";

/**
 * A big instance's directory for the fake Data Center's `users`: `count` active accounts whose
 * name, slug, display name and email all hold `like` (`ada0`, "Ada Lookalike 0",
 * `ada0@acme.com`, …), with ids from `firstId` (default 10000). Put them before the real users to
 * test a lookup that a filter's first pages would miss.
 * @example
 * const dc = await startFakeDataCenter({
 *   users: [...fakeDataCenterDirectory({ count: 5000, like: "ada" }), ...DEFAULT_FAKE_DATACENTER_USERS],
 * });
 */
export function fakeDataCenterDirectory(options: {
  readonly count: number;
  readonly like: string;
  readonly firstId?: number;
}): FakeDataCenterUser[] {
  const { count, like, firstId = 10_000 } = options;
  if (!Number.isInteger(count) || count < 0)
    throw new TypeError("fakeDataCenterDirectory: count must be a whole number");
  if (!/^[a-z0-9._-]+$/i.test(like))
    throw new TypeError("fakeDataCenterDirectory: like must be letters, digits, '.', '_' or '-'");
  const display = like.charAt(0).toUpperCase() + like.slice(1);
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    name: `${like}${i}`,
    slug: `${like}${i}`,
    displayName: `${display} Lookalike ${i}`,
    emailAddress: `${like}${i}@acme.com`,
    active: true,
    type: "NORMAL",
  }));
}
