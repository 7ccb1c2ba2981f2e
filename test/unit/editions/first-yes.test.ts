// src/editions/first-yes.ts: how both editions read one rule's questions.
import { describe, expect, it } from "@jest/globals";
import { firstYes } from "../../../src/editions/first-yes.js";

const isYes = (a: string | null): a is string => a !== null && a.startsWith("yes");
const later = <T>(value: T, ms = 5) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failing = (ms = 5) =>
  new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error("down")), ms));

describe("firstYes", () => {
  it("takes the first yes in the rule's order, not the first to answer", async () => {
    expect(await firstYes([later("yes-a", 20), later("yes-b", 1)], isYes)).toEqual({
      kind: "yes",
      value: "yes-a",
    });
  });

  it("takes a yes over an outage beside it", async () => {
    expect(await firstYes([failing(), later("yes")], isYes)).toEqual({ kind: "yes", value: "yes" });
  });

  it("takes an outage over a no: the failed question might have been the yes", async () => {
    const answer = await firstYes([later("no"), failing()], isYes);
    expect(answer.kind).toBe("outage");
    expect(answer.kind === "outage" && (answer.error as Error).message).toBe("down");
  });

  it("answers no with every answer given, in order", async () => {
    expect(await firstYes([later("no-a", 10), later(null), later("no-b", 1)], isYes)).toEqual({
      kind: "no",
      answers: ["no-a", null, "no-b"],
    });
  });

  it("answers only once every question has settled", async () => {
    let slowDone = false;
    const slow = later(null, 30).then((v) => ((slowDone = true), v));
    await firstYes([later("yes"), slow], isYes);
    expect(slowDone).toBe(true);
  });
});
