// src/editions/bitbucket-grant.ts: the grant name, picked through the one edition select.
import { describe, expect, it } from "@jest/globals";
import { bitbucketGrant } from "../../../src/index.js";

const SERVER = "https://git.acme.com/bitbucket";

describe("bitbucketGrant", () => {
  it("names Cloud without options, and a Data Center instance with its provider id", () => {
    expect(bitbucketGrant()).toBe("bitbucket@https://bitbucket.org");
    expect(bitbucketGrant({ serverUrl: `${SERVER}/` })).toBe(`bitbucket-datacenter@${SERVER}`);
    expect(bitbucketGrant({ serverUrl: SERVER, providerId: "bitbucket-acme" })).toBe(
      `bitbucket-acme@${SERVER}`,
    );
  });

  it.each([
    [{ providerId: "bitbucket-acme" }, 'bitbucketGrant: option "providerId" is for Bitbucket Data Center'],
    [{ serverUrl: SERVER, providerId: "bitbucket" }, 'bitbucketGrant: option "providerId" must be'],
    [{ serverUrl: SERVER, providerId: "a b" }, 'bitbucketGrant: option "providerId" must be'],
    [{ serverUrl: "http://git.acme.com" }, 'bitbucketGrant: option "serverUrl" must be an https URL'],
  ])("refuses %j", (options, message) => {
    expect(() => bitbucketGrant(options)).toThrow(TypeError);
    expect(() => bitbucketGrant(options)).toThrow(message);
  });
});
