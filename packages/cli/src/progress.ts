import type { JobStatus } from "@fanout/dedup";
import cliProgress from "cli-progress";
import type { Output } from "./io.ts";
import { percentOf } from "./output.ts";

export interface ProgressView {
  update(status: JobStatus): void;
  stop(): void;
}

/**
 * Shows a watched job's progress: a bar redrawn in place on a terminal, otherwise one plain line each
 * time the counts change (readable in CI logs and pipes, no escape codes).
 */
export function progressView(out: Output): ProgressView {
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: out as NodeJS.WriteStream,
        format:
          "{bar} {percentage}% | {done}/{total} | succeeded {succeeded} | failed {failed} | retrying {retrying} | pending {pending}",
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(s) {
        const payload = {
          succeeded: s.succeeded,
          failed: s.failed,
          retrying: s.retryPending,
          pending: s.pending,
          done: s.succeeded + s.failed,
        };
        if (!started) {
          bar.start(Math.max(1, s.total), 0, payload);
          started = true;
        }
        bar.update(s.succeeded + s.failed, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = "";
  return {
    update(s) {
      const done = s.succeeded + s.failed;
      const line = `${s.jobId}: ${done}/${s.total} (${percentOf(done, s.total)}%) succeeded=${s.succeeded} failed=${s.failed} retrying=${s.retryPending} pending=${s.pending}`;
      if (line === last) return;
      last = line;
      out.write(`${new Date().toISOString()} ${line}\n`);
    },
    stop() {},
  };
}
