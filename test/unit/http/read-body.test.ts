// src/http/read-body.ts: the 4 MiB cap, by declared length and by what arrives, and the cancel.
import { afterEach, describe, expect, it } from "@jest/globals";
import { createDeadline, MAX_BODY_BYTES, readBody, type Deadline } from "../../../src/http/upstream.js";

const made: Deadline[] = [];
/** A deadline far off, ended after the test. */
const later = (): Deadline => {
  const deadline = createDeadline(60_000);
  made.push(deadline);
  return deadline;
};
afterEach(() => {
  for (const deadline of made.splice(0)) deadline.end();
});

/** A body of `size` spaces, then (unless `ends`) no end at all; `cancelled` says whether it was cancelled. */
function body(size: number, { ends = true, declared }: { ends?: boolean; declared?: number } = {}) {
  const seen = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (size > 0) controller.enqueue(new Uint8Array(size).fill(0x20));
      if (ends) controller.close();
    },
    cancel: () => void (seen.cancelled = true),
  });
  const headers = declared === undefined ? undefined : { "content-length": String(declared) };
  return { response: new Response(stream, { headers }), seen };
}

describe("readBody's cap", () => {
  it("refuses a declared length past 4 MiB before reading a byte, and cancels the body", async () => {
    const { response, seen } = body(2, { declared: MAX_BODY_BYTES + 1 });
    const err = await readBody(response, later()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "BITBUCKET_UNAVAILABLE",
      message: "Bitbucket's answer was larger than 4 MiB.",
      cause: { message: `An answer from Bitbucket passed ${MAX_BODY_BYTES} bytes and was cancelled` },
    });
    expect(seen.cancelled).toBe(true);
  });

  it("reads a body whose declared length is exactly 4 MiB", async () => {
    const { response } = body(2, { declared: MAX_BODY_BYTES });
    expect(await readBody(response, later())).toBe("  ");
  });

  it("cancels a body that passes the cap without ending", async () => {
    const { response, seen } = body(MAX_BODY_BYTES + 1, { ends: false });
    await expect(readBody(response, later())).rejects.toMatchObject({ code: "BITBUCKET_UNAVAILABLE" });
    expect(seen.cancelled).toBe(true);
  });
});
