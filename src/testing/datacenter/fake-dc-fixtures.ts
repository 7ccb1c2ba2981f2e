// The fake Data Center's default client, users and projects: the instance the docs and tests know.
import type { FakeDataCenterProject, FakeDataCenterUser } from "./fake-dc-types.js";

/** The client the fake Data Center knows: the same id and secret as the Cloud fake's. */
export const DEFAULT_FAKE_DATACENTER_CLIENT = {
  clientId: "fake-client-id",
  clientSecret: "fake-client-secret",
} as const;

/**
 * The fake instance's users: Ada (write on project ENG), Jane whose slug is not her name, Zoë with a
 * non-ASCII name (read on ENG/api only), an inactive account, a `SERVICE` account, and an outsider.
 */
export const DEFAULT_FAKE_DATACENTER_USERS: readonly FakeDataCenterUser[] = [
  {
    id: 101,
    name: "ada",
    slug: "ada",
    displayName: "Ada Lovelace",
    emailAddress: "ada@dc.test",
    active: true,
    type: "NORMAL",
    projects: { ENG: "write" },
  },
  {
    id: 102,
    name: "jane@acme.com",
    slug: "jane_acme.com",
    displayName: "Jane Doe",
    emailAddress: "jane@acme.com",
    active: true,
    type: "NORMAL",
    projects: { ENG: "read" },
  },
  {
    id: 103,
    name: "zoë",
    slug: "zoe",
    displayName: "Zoë Ångström",
    emailAddress: "",
    active: true,
    type: "NORMAL",
    repositories: { "ENG/api": "read" },
  },
  {
    id: 104,
    name: "former",
    slug: "former",
    displayName: "Former Member",
    emailAddress: "former@dc.test",
    active: false,
    type: "NORMAL",
    projects: { ENG: "admin" },
  },
  {
    id: 105,
    name: "ci-bot",
    slug: "ci-bot",
    displayName: "CI Bot",
    emailAddress: "",
    active: true,
    type: "SERVICE",
    projects: { ENG: "admin" },
  },
  {
    id: 106,
    name: "eve",
    slug: "eve",
    displayName: "Eve Outsider",
    emailAddress: "eve@dc.test",
    active: true,
    type: "NORMAL",
  },
];

/**
 * The fake instance's projects and their repositories: ENG (`api`, `web`), OPS (`deploy`), and PUB
 * (`docs`), which is open to public access (every account may read it).
 */
export const DEFAULT_FAKE_DATACENTER_PROJECTS: Readonly<Record<string, FakeDataCenterProject>> = {
  ENG: { name: "Engineering", public: false, repos: ["api", "web"] },
  OPS: { name: "Operations", public: false, repos: ["deploy"] },
  PUB: { name: "Public", public: true, repos: ["docs"] },
};

/** @deprecated The same as {@link DEFAULT_FAKE_DATACENTER_PROJECTS}, under its earlier name. */
export const FAKE_DATACENTER_PROJECTS = DEFAULT_FAKE_DATACENTER_PROJECTS;
