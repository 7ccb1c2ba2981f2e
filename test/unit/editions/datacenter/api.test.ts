// src/editions/datacenter/api.ts: how X-AUSERNAME is read, whichever way the instance encodes it.
import { describe, expect, it } from "@jest/globals";
import { decodeHeader } from "../../../../src/editions/datacenter/api.js";

/** A header as fetch hands it over when its bytes are raw UTF-8: each byte read as Latin-1. */
const asReceived = (name: string) => Buffer.from(name, "utf8").toString("latin1");

describe("decodeHeader", () => {
  it.each([
    ["an ASCII name", "ada", "ada"],
    ["a percent-encoded name", "zo%C3%AB", "zoë"],
    ["a raw UTF-8 name, read as Latin-1", asReceived("zoë"), "zoë"],
    ["a raw UTF-8 name outside Latin-1", asReceived("名前"), "名前"],
    ["a raw Latin-1 name (not UTF-8)", "zo\u00eb", "zoë"],
    ["an ASCII name with a % that does not decode", "100%", "100%"],
    // Not Latin-1 bytes at all (a header already read as text): taken as it is, never re-read as bytes.
    ["a name already decoded, outside Latin-1", "名前", "名前"],
    ["a raw UTF-8 name holding a % that does not decode", asReceived("zoë%"), "zoë%"],
  ])("reads %s", (_what, header, name) => {
    expect(decodeHeader(header)).toBe(name);
  });

  it("reads an absent or empty header as no user", () => {
    expect(decodeHeader(null)).toBeNull();
    expect(decodeHeader("")).toBeNull();
  });
});
