import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Seals and opens stored tokens with AES-256-GCM, so a copy of the database gives no repository
 * access. Each seal is bound to what it belongs to (the additional data, `binding`): the shipped
 * stores bind the user id and the grant, so a sealed row moved to another user or Bitbucket does
 * not open.
 */
export interface TokenSealer {
  seal(binding: string, plaintext: string): string;
  /** The plaintext, or `null` when no key opens it (wrong key, tampered, other binding, or not sealed by us). */
  open(binding: string, sealed: string): string | null;
}

const VERSION = "v1";

/**
 * Keys are strings of at least 32 characters, newest first, like `cookieSecret`: the first seals,
 * every one opens, so a key is rotated by putting the new one first and dropping the old one once
 * every row has been written again. Each is stretched into an AES key with HKDF-SHA256.
 * @throws TypeError naming `option` when the keys are missing or short.
 */
export function createTokenSealer(keys: unknown, option: string): TokenSealer {
  const list = typeof keys === "string" ? [keys] : keys;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((k) => typeof k === "string" && k.length >= 32)
  ) {
    throw new TypeError(
      `${option} must be a string of at least 32 characters, or a non-empty array of them (newest first), ` +
        `e.g. the output of \`openssl rand -base64 32\`; use a key of its own, not the cookie secret.`,
    );
  }
  const aesKeys = (list as string[]).map((k) =>
    Buffer.from(hkdfSync("sha256", k, "", "express-lucia-bitbucket stored tokens", 32)),
  );
  return {
    seal(binding, plaintext) {
      const iv = randomBytes(12);
      // Stryker disable next-line ArrayDeclaration: the list is never empty (checked above).
      const cipher = createCipheriv("aes-256-gcm", aesKeys[0] ?? Buffer.alloc(32), iv);
      cipher.setAAD(Buffer.from(binding));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
    },
    open(binding, sealed) {
      const [version, iv, body, extra] = sealed.split(".");
      if (version !== VERSION || !iv || !body || extra !== undefined) return null;
      const ivBytes = Buffer.from(iv, "base64url");
      const bytes = Buffer.from(body, "base64url");
      // Defence in depth: GCM's tag check refuses a wrong-length IV or a body without a tag anyway.
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, see above.
      if (ivBytes.length !== 12 || bytes.length < 16) return null;
      for (const key of aesKeys) {
        try {
          const decipher = createDecipheriv("aes-256-gcm", key, ivBytes);
          decipher.setAAD(Buffer.from(binding));
          decipher.setAuthTag(bytes.subarray(bytes.length - 16));
          return Buffer.concat([
            decipher.update(bytes.subarray(0, bytes.length - 16)),
            decipher.final(),
          ]).toString("utf8");
        } catch {
          // Not this key: try the next.
        }
      }
      return null;
    },
  };
}
