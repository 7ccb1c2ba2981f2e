import type { Credentials } from "../editions/edition.js";

/**
 * The OAuth client of a guard or a refresh, as the edition's refresh takes it: `redirectUri` only
 * when it is a string (Data Center sends it along; Cloud ignores it).
 */
export function credentialsOf(options: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri?: unknown;
}): Credentials {
  const { clientId, clientSecret, redirectUri } = options;
  return { clientId, clientSecret, redirectUri: typeof redirectUri === "string" ? redirectUri : undefined };
}
