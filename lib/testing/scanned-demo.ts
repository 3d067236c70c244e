/**
 * The fixture many storage tests share: a test database holding one scan of the demo estate, made
 * once per `describe` (call inside it) and dropped after. Read `demo.t` and `demo.sim` inside tests.
 */
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase } from "./test-database";
import { scanWith, testConfig } from "./scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";

export function scannedDemo(): { t: TestDatabase; sim: Simulator } {
  const demo = {} as { t: TestDatabase; sim: Simulator };
  beforeAll(async () => {
    demo.t = await createTestDatabase();
    demo.sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    await scanWith(demo.t.db, demo.sim, testConfig());
  }, 120_000);
  afterAll(async () => {
    await demo.sim?.close();
    await demo.t?.drop();
  });
  return demo;
}
