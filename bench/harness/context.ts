import type { FakeBitbucket, FakeDataCenter } from "express-lucia-bitbucket/testing";
import type { Figure } from "../results.js";
import type { Fakes } from "./servers.js";

/** What every row works with: the two fakes, where servers reach them, and the figures so far. */
export interface Bench {
  readonly fake: FakeBitbucket;
  readonly dataCenter: FakeDataCenter;
  readonly fakes: Fakes;
  /** Every figure, for bench/results/*.json: the README's and docs' tables are generated from it. */
  readonly figures: Figure[];
}
