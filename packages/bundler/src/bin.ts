#!/usr/bin/env node
// Builds the function in the current folder: `fanout-bundle [--external-sdk]`.
import { parseArgs } from "node:util";
import { bundleFunction, describeResult } from "./bundle.ts";

const { values } = parseArgs({
  options: { "external-sdk": { type: "boolean", default: process.env.FANOUT_EXTERNAL_SDK === "1" } },
  strict: true,
});
try {
  const result = await bundleFunction({ functionDir: process.cwd(), externalSdk: values["external-sdk"] });
  console.log(describeResult(result));
} catch (error) {
  console.error(`fanout-bundle: ${(error as Error).message}`);
  process.exit(1);
}
