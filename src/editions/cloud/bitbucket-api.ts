import { fetchJson, type Deadline } from "../../http/upstream.js";
import type { FetchBitbucket } from "../edition.js";
import { hasPlainSegments } from "../../http/paths.js";
import { cloudApiError, isNoAccess } from "./api-errors.js";

/** Bitbucket Cloud's API: the only origin a Bearer token is ever sent to. */
export const API_ORIGIN = "https://api.bitbucket.org";
const API_PATH = /^\/2\.0\/[^\s?#\\]*(\?[^\s#]*)?$/;

/** The headers of every API call of ours: the token as a Bearer header, never in the URL. */
export const bearerHeaders = (accessToken: string) => ({
  Authorization: `Bearer ${accessToken}`,
  // Stryker disable next-line StringLiteral: Bitbucket answers JSON either way; the header says what we read.
  Accept: "application/json",
});

/**
 * `GET https://api.bitbucket.org<path>` with the login's access token (Bearer header only: Bitbucket
 * refuses `?access_token=` since 2026): the JSON on 200, `null` on a 404 or a 403 that means "no
 * access", a coded error otherwise (`SCOPE_MISSING` names the permission to enable).
 */
export function createFetchBitbucket(accessToken: string, deadline: Deadline): FetchBitbucket {
  const headers = bearerHeaders(accessToken);
  return async (path) => {
    // Only paths on Bitbucket's own API: the token must never be sent to another host.
    if (typeof path !== "string" || !API_PATH.test(path) || !hasPlainSegments(path))
      throw new TypeError(
        `fetchBitbucket: expected an API path such as "/2.0/user"; got ${JSON.stringify(path)}.`,
      );
    return fetchJson("api", API_ORIGIN + path, { headers }, deadline, cloudApiError, isNoAccess);
  };
}
