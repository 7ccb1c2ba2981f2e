import { BitbucketAuthError } from "../../errors/errors.js";
import { hasPlainSegments } from "../../http/paths.js";
import { fetchText, outageOf, thrownUnder, type Deadline } from "../../http/upstream.js";
import type { FetchBitbucket } from "../edition.js";

/** An authenticated answer of Data Center's REST API, with who the token belongs to. */
export interface DataCenterAnswer {
  readonly status: number;
  /** `X-AUSERNAME`, decoded; `null` when absent: then the token was not accepted. */
  readonly userName: string | null;
  /** `X-AUSERID`; `null` when absent. */
  readonly userId: string | null;
  /** The parsed JSON of a 200; `null` otherwise. */
  readonly body: unknown;
}

// Data Center's REST paths: `/rest/…`, never a dot segment, a backslash or an absolute URL.
const REST_PATH = /^\/rest\/[^\s?#\\]*(\?[^\s#]*)?$/;

/** True for a `/rest/…` path that stays under `/rest/` however a server resolves it. */
export const isRestPath = (path: unknown): path is string =>
  typeof path === "string" && REST_PATH.test(path) && hasPlainSegments(path);

/**
 * `GET {serverUrl}<path>` with the token, under the deadline, never following a redirect. Maps what
 * is not an answer onto codes: a 429 (with its `Retry-After`), a 5xx, a body that is not JSON, a
 * network failure or the deadline are outages; a 401 without `X-AUSERNAME` is a dead token. Every
 * other status is returned, with who Bitbucket says the token belongs to, for the caller to read.
 */
export async function getDataCenter(
  serverUrl: string,
  path: string,
  accessToken: string,
  deadline: Deadline,
): Promise<DataCenterAnswer> {
  try {
    const { response, body: text } = await fetchText(
      serverUrl + path,
      {
        headers: {
          Authorization: `Bearer ${accessToken}`,
          // Stryker disable next-line StringLiteral: equivalent; Data Center's REST API answers JSON whatever Accept says, and a body that is not JSON is refused below anyway.
          Accept: "application/json",
        },
      },
      deadline,
    );
    const userName = decodeHeader(response.headers.get("x-ausername"));
    const userId = response.headers.get("x-auserid");
    const cause = () => new Error(`Bitbucket Data Center answered HTTP ${response.status} for ${path}`);
    const outage = outageOf({ status: response.status, body: text, headers: response.headers }, cause);
    if (outage) throw outage;
    if ((response.status === 401 || response.status === 403) && userName === null)
      throw new BitbucketAuthError("BITBUCKET_TOKEN_REJECTED", undefined, { cause: cause() });
    return {
      status: response.status,
      userName,
      userId,
      body: response.status === 200 ? JSON.parse(text) : null,
    };
  } catch (err) {
    throw thrownUnder(err, "api", deadline);
  }
}

/**
 * `X-AUSERNAME` of a name that is not ASCII: percent-encoded, or raw UTF-8, which fetch hands over
 * read as Latin-1 (`zoÃ«` for `zoë`). Public sources do not say which a real instance sends, so both
 * are read: bytes that form valid UTF-8 are decoded as UTF-8, then percent-encoding is undone. A
 * value that does not decode is taken as sent (an ASCII name may hold a `%`); the record lookup then
 * has to match the numeric id anyway.
 */
export function decodeHeader(value: string | null): string | null {
  if (value === null || value === "") return null;
  const text = /[\u0080-\uffff]/.test(value) ? fromRawUtf8(value) : value;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A header read as Latin-1, as the UTF-8 it was sent as; itself when its bytes are not UTF-8. */
function fromRawUtf8(value: string): string {
  if (/[\u0100-\uffff]/.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  const decoded = bytes.toString("utf8");
  return Buffer.from(decoded, "utf8").equals(bytes) ? decoded : value;
}

/**
 * The `authorize` hook's `fetchBitbucket` on Data Center: `/rest/…` paths only, under `serverUrl`.
 * The JSON on 200; `null` on a 404, or a 401 with the token accepted (a definite "no"); a coded
 * error on an outage or a dead token.
 */
export function createDataCenterFetch(
  serverUrl: string,
  accessToken: string,
  deadline: Deadline,
): FetchBitbucket {
  return async (path) => {
    if (!isRestPath(path))
      throw new TypeError(
        `fetchBitbucket: expected a Data Center REST path such as "/rest/api/latest/projects"; got ${JSON.stringify(path)}.`,
      );
    const answer = await getDataCenter(serverUrl, path, accessToken, deadline);
    if (answer.status === 200) return answer.body;
    if (answer.status === 404 || answer.status === 401 || answer.status === 403) return null;
    throw new BitbucketAuthError("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${answer.status}.`);
  };
}
