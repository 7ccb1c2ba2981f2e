/**
 * The request's `Cookie` header as RFC 6265 §4.2.1 and §5.2 define it: pairs separated by `;`,
 * with only SP and HTAB (the grammar's whitespace) stripped around a name or a value.
 *
 * Why not `trim()`: Node reads header bytes as latin1, so a raw 0xA0 byte arrives as U+00A0, which
 * `trim()` removes. A browser treats `\xA0__Host-x` as an ordinary cookie that a sibling subdomain
 * may set; trimmed, it would pass for the `__Host-` cookie. Names are
 * therefore compared byte for byte, after stripping exactly what the grammar allows.
 */
export function cookiePairs(header: string | undefined): [name: string, value: string][] {
  if (!header) return [];
  const pairs: [string, string][] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    pairs.push([stripWhitespace(part.slice(0, eq)), decodeValue(stripWhitespace(part.slice(eq + 1)))]);
  }
  return pairs;
}

/** Strips leading and trailing SP and HTAB, and nothing else (no U+00A0, no line breaks). */
export function stripWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  // The bounds only save a step: past the end charCodeAt is NaN (not whitespace), and slice(start,
  // end) with end below start is "" either way.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, see above.
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, see above.
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

const isWhitespace = (code: number) => code === 0x20 || code === 0x09;

// URL-decoded as cookie-parser does; a value that does not decode is kept as it was sent.
function decodeValue(value: string): string {
  // A shortcut only: a value without "%" decodes to itself.
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, see above.
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
