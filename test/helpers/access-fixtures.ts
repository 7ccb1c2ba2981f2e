import {
  DEFAULT_FAKE_USER,
  DEFAULT_FAKE_WORKSPACE,
  FAKE_OUTSIDER_USER,
  type FakeBitbucketOptions,
} from "../../src/testing/index.js";
import type { BitbucketStoredTokens } from "../../src/index.js";

/** A sealing key for the token stores' tests. */
export const TOKEN_KEYS = ["a-token-key-of-at-least-32-characters!"];
/** A stored grant, whose tokens say so when they are seen in the clear. */
export const STORED_TOKENS: BitbucketStoredTokens = {
  accessToken: "access-token-in-the-clear",
  refreshToken: "refresh-token-in-the-clear",
  accessTokenExpiresAt: 1_800_000_000_000,
  checkedAt: 1_700_000_000_000,
  checkedRules: "rules",
};

/** Accounts with every kind of standing in `fake-team`, and one in a look-alike workspace. */
export const ADA = DEFAULT_FAKE_USER; // member of fake-team, reads fake-team/handbook
export const EVE = FAKE_OUTSIDER_USER; // in no workspace
export const OLGA = {
  uuid: "{0a0a0a0a-1111-4111-8111-000000000001}",
  display_name: "Olga Owner",
  nickname: "olga",
  workspaces: { "fake-team": "owner" },
  repositories: ["fake-team/handbook", "fake-team/ops"],
} as const;
export const COLE = {
  uuid: "{0a0a0a0a-1111-4111-8111-000000000002}",
  display_name: "Cole Collaborator",
  nickname: "cole",
  workspaces: { "fake-team": "collaborator" },
} as const;
/** Member of `evil-team`, whose display name is the same "Fake Team". */
export const MALLORY = {
  uuid: "{0a0a0a0a-1111-4111-8111-000000000003}",
  display_name: "Mallory Lookalike",
  nickname: "mallory",
  workspaces: { "evil-team": "owner" },
  repositories: ["evil-team/handbook"],
} as const;

export const ACCESS_FAKE: FakeBitbucketOptions = {
  users: [ADA, EVE, OLGA, COLE, MALLORY],
  workspaces: [DEFAULT_FAKE_WORKSPACE, { slug: "evil-team", name: DEFAULT_FAKE_WORKSPACE.name }],
};
