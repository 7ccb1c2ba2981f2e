// src/state/cookie-header.ts: the Cookie header's grammar (RFC 6265), byte for byte.
import { describe, expect, it } from "@jest/globals";
import { cookiePairs, stripWhitespace } from "../../../src/state/cookie-header.js";

describe("cookiePairs (RFC 6265's grammar)", () => {
  it("skips a part without '=', and keeps a one-letter name", () => {
    expect(cookiePairs("a=b; flag; c=d")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("strips only SP and HTAB around names and values", () => {
    expect(cookiePairs(" a = b ;\tc\t=\td\t")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(cookiePairs("\u00a0a=b\u00a0")).toEqual([["\u00a0a", "b\u00a0"]]);
    expect(stripWhitespace("\n x \r")).toBe("\n x \r");
    expect(stripWhitespace(" \t ")).toBe("");
  });

  it("URL-decodes values as cookie-parser does, and keeps one that does not decode", () => {
    expect(cookiePairs("a=s%3Ax; b=%zz")).toEqual([
      ["a", "s:x"],
      ["b", "%zz"],
    ]);
  });
});
