import { BitbucketAuthError } from "../../errors/errors.js";
import type { Deadline } from "../../http/upstream.js";
import { getDataCenter } from "./api.js";

/** A user record of Bitbucket Data Center (`/rest/api/latest/users`), as the instance sent it. */
export interface BitbucketDataCenterUser {
  /** The numeric id: the only thing an account is keyed on. A rename keeps it. */
  readonly id: number;
  /** The login name (`jane@acme.com`); it can change. */
  readonly name: string;
  /** The URL slug (`jane_acme.com`), which is not always the name; it can change. */
  readonly slug: string;
  readonly displayName: string;
  /** May be empty or absent; hooks get it as `email` (`null` when empty). */
  readonly emailAddress?: string;
  /** `false` for a deleted or disabled account, which is never signed in. */
  readonly active: boolean;
  /** `"SERVICE"` for project and repository access-token users, which are never signed in. */
  readonly type: "NORMAL" | "SERVICE" | (string & {});
  readonly links?: unknown;
}

const PAGE_SIZE = 100;
// A filter by the exact login name matches few records; more pages than this is not an answer.
const MAX_PAGES = 10;
const NUMERIC_ID = /^[1-9][0-9]{0,15}$/;

// A name that can stand as a URL slug as it is: no dot segment, no separator, nothing to encode.
const SLUG_LIKE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$/;

/**
 * Who the token belongs to. Data Center has no "myself" endpoint: every authenticated answer names
 * the user in `X-AUSERNAME` and `X-AUSERID`, and an anonymous one carries neither (a 200 alone
 * proves nothing). The record is `/users/{name}` when the slug is the name (most accounts), and
 * otherwise found by filtering on the name and taking the entry whose id is `X-AUSERID`, so a slug
 * that differs from the name, or a non-ASCII name, still works. Either way only the record with
 * that id counts. The filter matches names, display names and emails by substring, so on a large
 * instance it may list many others first: the direct lookup keeps those users signing in.
 */
export async function whoSignedIn(
  serverUrl: string,
  accessToken: string,
  deadline: Deadline,
): Promise<BitbucketDataCenterUser> {
  const properties = await getDataCenter(
    serverUrl,
    "/rest/api/latest/application-properties",
    accessToken,
    deadline,
  );
  const { userName, userId } = properties;
  if (properties.status !== 200 || userName === null)
    throw new BitbucketAuthError("BITBUCKET_TOKEN_REJECTED", "Bitbucket did not accept the access token.");
  if (userId === null || !NUMERIC_ID.test(userId))
    throw invalid("Bitbucket's answer names the user without a numeric X-AUSERID.");
  const id = Number(userId);
  if (SLUG_LIKE.test(userName)) {
    const direct = await getDataCenter(
      serverUrl,
      `/rest/api/latest/users/${userName}`,
      accessToken,
      deadline,
    );
    const record = direct.body as { id?: unknown } | null;
    if (direct.status === 200 && record?.id === id) return checked(record);
  }
  let start = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ filter: userName, start: String(start), limit: String(PAGE_SIZE) });
    const answer = await getDataCenter(serverUrl, `/rest/api/latest/users?${query}`, accessToken, deadline);
    if (answer.status !== 200) throw invalid(`Bitbucket answered HTTP ${answer.status} to the user lookup.`);
    const body = answer.body as { values?: unknown; isLastPage?: unknown; nextPageStart?: unknown } | null;
    // Stryker disable next-line ArrayDeclaration: equivalent; an entry without a numeric id never matches.
    const values: unknown[] = Array.isArray(body?.values) ? body.values : [];
    const record = values.find((u) => (u as { id?: unknown } | null)?.id === id);
    if (record !== undefined) return checked(record);
    if (body?.isLastPage !== false || typeof body.nextPageStart !== "number" || body.nextPageStart <= start)
      break;
    start = body.nextPageStart;
  }
  throw invalid("No user record of the instance carries the id the token belongs to.");
}

const invalid = (message: string) => new BitbucketAuthError("BITBUCKET_USER_INVALID", message);

/** The fields the login relies on, present and of the right type. */
function checked(record: unknown): BitbucketDataCenterUser {
  const u = record as Partial<Record<keyof BitbucketDataCenterUser, unknown>>;
  if (
    typeof u.name !== "string" ||
    typeof u.slug !== "string" ||
    typeof u.active !== "boolean" ||
    typeof u.type !== "string"
  )
    throw invalid("Bitbucket's user record lacks its name, slug, active flag or type.");
  return record as BitbucketDataCenterUser;
}
