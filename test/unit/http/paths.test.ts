// src/http/paths.ts: which API paths stay under their root however a server resolves them.
import { describe, expect, it } from "@jest/globals";
import { hasPlainSegments } from "../../../src/http/paths.js";

describe("hasPlainSegments", () => {
  it.each([
    "/2.0/user",
    "/2.0/user/workspaces/fake-team/permission",
    "/rest/api/latest/projects/ENG/repos/api",
    "/rest/api/latest/projects/",
    "/rest/api/latest/projects?limit=1&start=0",
    "/2.0/repositories/a/b?q=../x",
    "/2.0/user/%7Bab%7D",
    "/2.0/a.b/..c",
  ])("takes %s", (path) => {
    expect(hasPlainSegments(path)).toBe(true);
  });

  it.each([
    "/2.0/../admin",
    "/2.0/./user",
    "/2.0/%2e%2e/admin",
    "/2.0/.%2E/admin",
    "/2.0/%2E/user",
    "/2.0/..%5cadmin",
    "/2.0/a\\b",
    "/2.0/a%2Fb",
    "/rest/..;/x",
    "/rest/api%3bx/latest",
    "/2.0//user",
    "/2.0/%E0%A4%A",
  ])("refuses %s", (path) => {
    expect(hasPlainSegments(path)).toBe(false);
  });
});
