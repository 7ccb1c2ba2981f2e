import { CLOUD_CHALLENGE } from "./fake-challenge.js";
import type { ServerResponse } from "node:http";
import type { FakeEndpoint, FakeFault } from "./fake-types.js";

/** The active faults, one per endpoint at most. */
export interface FaultBox {
  current: FakeFault[];
}

// Bodies copied from Bitbucket's documented answers, used when a `status` fault gives none.
const STATUS_BODIES: Readonly<Record<number, unknown>> = {
  401: {
    type: "error",
    error: { message: "Access token expired. Use your refresh token to obtain a new access token." },
  },
  403: {
    type: "error",
    error: {
      message: "Your credentials lack one or more required privilege scopes.",
      detail: { required: ["account"], granted: ["team"] },
    },
  },
  429: "Rate limit for this resource has been exceeded.",
};
const TOKEN_STATUS_BODIES: Readonly<Record<number, unknown>> = {
  400: { error: "invalid_grant", error_description: "Invalid or expired authorization code." },
  401: {
    error_description: "Requests must be authenticated using OAuth client credentials",
    error: "unauthorized_client",
  },
};

/** The fault for this endpoint, counting down its `times`. */
export function takeFault(box: FaultBox, endpoint: FakeEndpoint): FakeFault | undefined {
  const index = box.current.findIndex((f) => f.endpoint === endpoint);
  const fault = box.current[index];
  if (!fault) return undefined;
  if (fault.times !== undefined) {
    if (fault.times <= 1) box.current.splice(index, 1);
    else box.current[index] = { ...fault, times: fault.times - 1 };
  }
  return fault;
}

/**
 * For a body that never ends: when the client hangs up, so does the fake. Node's server would
 * otherwise keep its half of the socket open for the unfinished answer, and a test counting open
 * connections could not tell a client that gave up from one still listening.
 */
function endWithClient(res: ServerResponse): void {
  // The request body is read to its end first, or the client's hang-up would never be seen.
  res.req.resume();
  res.socket?.once("end", () => res.socket?.destroy());
}

/** Answers with the fault; `false` when the request should then go on normally (after `slow`). */
export async function applyFault(fault: FakeFault, res: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case "slow":
      // Ends early when the client gives up, so a closed fake leaves no timer behind.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.delayMs);
        res.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return res.destroyed || res.writableEnded;
    case "status": {
      const preset =
        fault.endpoint === "token" ? TOKEN_STATUS_BODIES[fault.status] : STATUS_BODIES[fault.status];
      const body = fault.body ?? preset ?? { type: "error", error: { message: "Something went wrong" } };
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res
        .writeHead(fault.status, {
          "Content-Type": typeof body === "string" ? "text/plain" : "application/json",
          ...(fault.status === 401 ? CLOUD_CHALLENGE : {}),
        })
        .end(text);
      return true;
    }
    case "non-json":
      res.writeHead(200, { "Content-Type": "text/plain" }).end("Service temporarily unavailable");
      return true;
    case "html":
      res
        .writeHead(200, { "Content-Type": "text/html" })
        .end("<!doctype html><html><body><h1>Bitbucket is down for maintenance</h1></body></html>");
      return true;
    case "reset":
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "400" });
      res.write('{"access_token": "trunc');
      setTimeout(() => res.socket?.destroy(), 10);
      return true;
    case "body":
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(fault.body));
      return true;
    case "redirect":
      res.writeHead(fault.status ?? 307, { Location: fault.location }).end();
      return true;
    case "trickle": {
      // One byte of a 200 body at a time, for as long as the client keeps listening.
      res.writeHead(200, { "Content-Type": "application/json" });
      endWithClient(res);
      const timer = setInterval(() => res.write(" "), fault.everyMs ?? 50);
      res.once("close", () => clearInterval(timer));
      return true;
    }
    case "stall":
      // The body never ends; the fake's close() (or the client giving up) ends the connection.
      res.writeHead(fault.status ?? 200, { "Content-Type": "application/json" });
      endWithClient(res);
      res.write('{"error": "invalid_gr');
      return true;
  }
}
