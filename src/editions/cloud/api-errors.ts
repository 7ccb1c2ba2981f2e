import { BitbucketAuthError } from "../../errors/errors.js";
import { causeOf, outageOf, parseJson, type StatusMapper } from "../../http/status-errors.js";

// Bitbucket Cloud's scope names, as its consumer settings page labels them.
const PERMISSION_LABELS: Readonly<Record<string, string>> = {
  account: "Account: Read",
  email: "Account: Email",
  repository: "Repositories: Read",
};

/**
 * Bitbucket Cloud's API refusals: outages first; a 403 is the consumer lacking a permission
 * (`SCOPE_MISSING`, naming it from Cloud's "privilege scopes" envelope, or the endpoint's own
 * when the envelope is missing); a 401 is a dead token; anything else an outage.
 */
export const cloudApiError: StatusMapper = (endpoint, answer) => {
  const cause = () => causeOf(endpoint, answer);
  const outage = outageOf(answer, cause);
  if (outage) return outage;
  if (answer.status === 403) {
    const required = requiredScopes(answer.body) ?? (endpoint === "emails" ? ["email"] : ["account"]);
    const labels = required.map(
      (s) => `'${s}'${Object.hasOwn(PERMISSION_LABELS, s) ? ` (${PERMISSION_LABELS[s]})` : ""}`,
    );
    return new BitbucketAuthError(
      "SCOPE_MISSING",
      `Bitbucket refused: the OAuth consumer lacks the ${labels.join(", ")} permission. ` +
        `Enable it in the consumer's settings in Bitbucket (Workspace settings → OAuth consumers → Permissions).`,
      { cause: cause() },
    );
  }
  if (answer.status === 401)
    return new BitbucketAuthError("BITBUCKET_TOKEN_REJECTED", undefined, { cause: cause() });
  return new BitbucketAuthError("BITBUCKET_UNAVAILABLE", `Bitbucket answered HTTP ${answer.status}.`, {
    cause: cause(),
  });
};

/**
 * A 404, or a 403 that is not Cloud's "your credentials lack … privilege scopes" envelope:
 * Bitbucket's definite "no access" to what was asked (fail closed), as opposed to an outage.
 */
export const isNoAccess = (status: number, body: string): boolean =>
  status === 404 || (status === 403 && requiredScopes(body) === undefined);

function requiredScopes(body: string): string[] | undefined {
  const error = parseJson(body)?.error as { detail?: { required?: unknown } } | undefined;
  const required = error?.detail?.required;
  return Array.isArray(required) && required.every((s) => typeof s === "string" && /^[a-z:_]+$/.test(s))
    ? (required as string[])
    : undefined;
}
