#!/usr/bin/env node
// pnpm chaos: the fault explorer (see README.md). Environment first: the functions' SDK clients read it.
import { simulatedEnvironment } from "./sim-env.ts";

Object.assign(process.env, simulatedEnvironment(process.env.CHAOS_LOG_LEVEL));
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
