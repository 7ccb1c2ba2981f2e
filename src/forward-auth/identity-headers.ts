import type { Response } from "express";
import type { BitbucketAccountInfo } from "../tokens/token-store.js";

/** The header every identity value goes in, oauth2-proxy's names where it has one. */
export const IDENTITY_HEADERS = {
  userId: "X-Auth-Request-User-Id",
  name: "X-Auth-Request-User",
  email: "X-Auth-Request-Email",
  rule: "X-Auth-Request-Rule",
} as const;

/** `workspace` → `X-Auth-Request-Workspace`: what admitted the user, by the edition's names. */
// Stryker disable next-line MethodExpression: header names are case-insensitive (RFC 9110); only the written case differs.
export const admittedHeader = (key: string) => `X-Auth-Request-${key[0]!.toUpperCase()}${key.slice(1)}`;

// Printable ASCII goes as it is; anything else, and "%" itself, as percent-encoded UTF-8, so every
// value reads back with decodeURIComponent and no value can break a header.
const PLAIN = /^[\x20-\x24\x26-\x7e]*$/;
const headerValue = (value: string) => (PLAIN.test(value) ? value : encodeURIComponent(value));

/** Who was admitted, and by what, as the response headers the proxy passes upstream. */
export function setIdentityHeaders(
  res: Response,
  identity: {
    readonly userId: string;
    readonly account: BitbucketAccountInfo | null;
    readonly rule: string | null;
    readonly admitted: Readonly<Record<string, string>>;
  },
): void {
  const { userId, account, rule, admitted } = identity;
  res.setHeader(IDENTITY_HEADERS.userId, headerValue(userId));
  if (account?.name) res.setHeader(IDENTITY_HEADERS.name, headerValue(account.name));
  if (account?.email) res.setHeader(IDENTITY_HEADERS.email, headerValue(account.email));
  if (rule !== null) res.setHeader(IDENTITY_HEADERS.rule, rule);
  for (const [key, value] of Object.entries(admitted)) res.setHeader(admittedHeader(key), headerValue(value));
}
