import type { BitbucketUser } from "@lucia-auth/oauth/providers";
import type { EditionTypes } from "../edition.js";
import type { BitbucketAccess } from "./access.js";
import type { BitbucketAllow } from "./allow.js";

/**
 * Bitbucket Cloud's part in the public option types: its user and rules, and `fetchEmail` on the
 * router. It has one instance, so nothing names it.
 */
export interface CloudTypes extends EditionTypes {
  readonly user: BitbucketUser;
  readonly access: BitbucketAccess;
  readonly allow: BitbucketAllow;
  readonly instance: object;
  readonly stored: object;
  readonly login: {
    /**
     * Fetch `/2.0/user/emails` and hand the primary, confirmed address to the hooks. Default
     * `false`, because it needs the consumer's `email` permission.
     */
    readonly fetchEmail?: boolean;
  };
  readonly refresh: object;
}
