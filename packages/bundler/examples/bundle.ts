import { bundleFunction } from "@fanout/bundler";

const result = await bundleFunction({ functionDir: "functions/worker" });
console.log(`${result.zipPath}: ${(result.zipBytes / 1024).toFixed(1)} KB`); // e.g. dist/worker.zip: 203.7 KB
