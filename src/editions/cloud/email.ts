import { API_ORIGIN, bearerHeaders } from "./bitbucket-api.js";
import { cloudApiError } from "./api-errors.js";
import { fetchJson, type Deadline } from "../../http/upstream.js";

const EMAILS_URL = `${API_ORIGIN}/2.0/user/emails?pagelen=100`;
const MAX_PAGES = 10;

interface EmailEntry {
  readonly email?: unknown;
  readonly is_primary?: unknown;
  readonly is_confirmed?: unknown;
}

/**
 * The primary, confirmed address from the paginated `/2.0/user/emails`, or `null`. Only `next` links
 * on Bitbucket's own API origin are followed, so a forged page can never receive the token.
 */
export async function fetchPrimaryEmail(accessToken: string, deadline: Deadline): Promise<string | null> {
  const headers = bearerHeaders(accessToken);
  let url: string | undefined = EMAILS_URL;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const body = (await fetchJson("emails", url, { headers }, deadline, cloudApiError)) as {
      values?: unknown;
      next?: unknown;
    } | null;
    const values = Array.isArray(body?.values) ? (body.values as EmailEntry[]) : [];
    const primary = values.find(
      (e) => e?.is_primary === true && e.is_confirmed === true && typeof e.email === "string",
    );
    if (primary) return primary.email as string;
    url = typeof body?.next === "string" && body.next.startsWith(`${API_ORIGIN}/`) ? body.next : undefined;
  }
  return null;
}
