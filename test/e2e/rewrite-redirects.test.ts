// rewriteBitbucketRedirects as other clients use it: Location set every way Express and Node allow.
import { describe, expect, it } from "@jest/globals";
import express, { type Response } from "express";
import request from "supertest";
import { rewriteBitbucketRedirects } from "../../src/testing/index.js";

const AUTHORIZE = "https://bitbucket.org/site/oauth2/authorize?client_id=x&state=s";
const FAKE = "http://127.0.0.1:4999";
const REWRITTEN = `${FAKE}/site/oauth2/authorize?client_id=x&state=s`;

const WAYS: Record<string, (res: Response, url: string) => void> = {
  "res.redirect": (res, url) => res.redirect(302, url),
  "res.location": (res, url) => res.location(url).status(302).end(),
  "res.set": (res, url) => res.set("Location", url).status(302).end(),
  "res.append (as @auth/express does)": (res, url) => res.append("Location", url).status(302).end(),
  "res.setHeader": (res, url) => {
    res.statusCode = 302;
    res.setHeader("location", url);
    res.end();
  },
  "res.writeHead with an object": (res, url) => res.writeHead(302, { LOCATION: url }).end(),
  "res.writeHead with a reason and an object": (res, url) =>
    res.writeHead(302, "Found", { Location: url }).end(),
  "res.writeHead with a flat array": (res, url) => res.writeHead(302, ["Location", url]).end(),
};

function app() {
  const server = express();
  server.use(rewriteBitbucketRedirects(FAKE));
  server.get("/go", (req, res) => WAYS[String(req.query.way)]?.(res, String(req.query.to)));
  return server;
}

describe("rewriteBitbucketRedirects", () => {
  it.each(Object.keys(WAYS))(
    "points Bitbucket's authorize at the fake when Location is set by %s",
    async (name) => {
      const res = await request(app()).get("/go").query({ way: name, to: AUTHORIZE });
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(REWRITTEN);
    },
  );

  it.each([
    "https://bitbucket.org/site/oauth2/authorized-apps",
    "https://bitbucket.org/account/settings",
    "https://example.com/site/oauth2/authorize?client_id=x",
    "/dashboard",
  ])("leaves %s as it is", async (to) => {
    for (const name of Object.keys(WAYS)) {
      const res = await request(app()).get("/go").query({ way: name, to });
      expect(res.headers.location).toBe(to);
    }
  });

  it("rewrites the bare authorize URL too", async () => {
    const res = await request(app())
      .get("/go")
      .query({ way: "res.set", to: "https://bitbucket.org/site/oauth2/authorize" });
    expect(res.headers.location).toBe(`${FAKE}/site/oauth2/authorize`);
  });
});
