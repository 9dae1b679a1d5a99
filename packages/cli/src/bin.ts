#!/usr/bin/env node
// The `fanout` command. Everything but the process wiring lives in program.ts, so tests can run it in-process.
import { run } from "./program.ts";

// `fanout failed list | head`: the reader went away; stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const controller = new AbortController();
process.once("SIGINT", () => {
  // A watch stops, restores the terminal and exits 130; anything else is stopped shortly after.
  controller.abort();
  setTimeout(() => process.exit(130), 500).unref();
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: controller.signal,
});
