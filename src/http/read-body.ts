import { BitbucketAuthError } from "../errors/errors.js";
import type { Deadline } from "./deadline.js";

export function timeoutError(ms: number): BitbucketAuthError {
  return new BitbucketAuthError("BITBUCKET_TIMEOUT", `Bitbucket did not answer within ${ms} ms.`);
}

const UTF8 = new TextDecoder();
const noop = () => undefined;

/**
 * The most any one Bitbucket answer may carry: 4 MiB. Bitbucket's largest page (100 users or
 * repositories) is some tens of KiB; past this, an instance is hostile or broken, and its answer is
 * cancelled, unread, as `BITBUCKET_UNAVAILABLE` rather than held in memory.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const tooLarge = () =>
  new BitbucketAuthError("BITBUCKET_UNAVAILABLE", "Bitbucket's answer was larger than 4 MiB.", {
    cause: new Error(`An answer from Bitbucket passed ${MAX_BODY_BYTES} bytes and was cancelled`),
  });

/**
 * Reads a body as text, through a reader that the deadline's own listener cancels: at the deadline
 * the read fails as `BITBUCKET_TIMEOUT`, and the cancel closes the socket.
 *
 * Why not `response.text()` or `.json()`: Node's fetch (undici) passes our signal on to its own
 * copy of the request through a weak reference. Once a garbage collection has run after an
 * answer's head arrived, aborting our signal no longer reaches the body (nodejs/undici#3644), and
 * a stalled body then holds the call, and its socket, for good. test/e2e/red-team.test.ts collects
 * garbage while a body stalls.
 *
 * A reset mid-body is thrown: a half-read answer is never taken for Bitbucket's.
 */
export async function readBody(response: Response, deadline: Deadline): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const { signal } = deadline;
  const cancel = () => void reader.cancel().catch(noop);
  // A deadline that has already passed fires no more events, hence the check beside the listener.
  signal.addEventListener("abort", cancel);
  if (signal.aborted) cancel();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // A declared length past the cap is refused before a byte is read.
    if (Number(response.headers.get("content-length")) > MAX_BODY_BYTES) throw tooLarge();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(value);
    }
  } catch (err) {
    // Past the cap: the rest is not read. (A reset or an abort that reached the body is thrown as
    // it is; every caller reads a thrown error under an ended deadline as its timeout.)
    if (err instanceof BitbucketAuthError) cancel();
    throw err;
  } finally {
    // The deadline is shared by every call of the callback: no listener of ours outlives its read.
    signal.removeEventListener("abort", cancel);
  }
  if (signal.aborted) throw timeoutError(deadline.ms);
  // Decoded once, whole: a character split across chunks stays whole, and a BOM is dropped as
  // response.text() drops it.
  return UTF8.decode(Buffer.concat(chunks));
}
