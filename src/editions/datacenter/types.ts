import type { EditionTypes } from "../edition.js";
import type { BitbucketDataCenterAccess } from "./access.js";
import type { BitbucketDataCenterAllow } from "./allow.js";
import type { BitbucketDataCenterUser } from "./identity.js";

/**
 * Bitbucket Data Center's part in the public option types: its user and rules, `serverUrl` on
 * every factory, `providerId` where keys and tokens are read, `scope` on the router and
 * `redirectUri` where a refresh is made.
 */
export interface DataCenterTypes extends EditionTypes {
  readonly user: BitbucketDataCenterUser;
  readonly access: BitbucketDataCenterAccess;
  readonly allow: BitbucketDataCenterAllow;
  readonly instance: {
    /** The instance's base URL with its context path (`https://git.acme.com/bitbucket`). */
    readonly serverUrl: string;
  };
  readonly stored: {
    /** The Lucia key's provider id, as on the router. Default `"bitbucket-datacenter"`. */
    readonly providerId?: string;
  };
  readonly login: {
    /** Data Center scopes to ask for. Default `["PUBLIC_REPOS"]`, plus `REPO_READ` with `allow`. */
    readonly scope?: readonly string[];
  };
  readonly refresh: {
    /** The router's `redirectUri`, sent along on refresh (some Atlassian servers check it). */
    readonly redirectUri?: string;
  };
}
