/**
 * The id and secret of an `Authorization: Basic` header, each half form-decoded first, as RFC 6749
 * §2.3.1 has OAuth clients encode them (oauth4webapi and openid-client send `-` as `%2D`); a plain
 * pair (`curl -u id:secret`) decodes to itself. `undefined` without a Basic header; `null` for one
 * that does not decode to `id:secret`.
 */
export function basicCredentials(
  header: string | undefined,
): { readonly id: string; readonly secret: string } | null | undefined {
  const encoded = /^Basic (.+)$/i.exec(header ?? "")?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString();
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return id === null || secret === null ? null : { id, secret };
}

/** `application/x-www-form-urlencoded` decoding of one value (`+` is a space); `null` when malformed. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return null;
  }
}
