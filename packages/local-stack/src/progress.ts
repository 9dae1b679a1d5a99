import cliProgress from "cli-progress";

export interface ProgressFigures {
  total: number;
  queued: number;
  dispatched: number;
  succeeded: number;
  failed: number;
}

export interface ProgressView {
  update(figures: ProgressFigures): void;
  stop(): void;
}

const rate = (done: number, startedAt: number) => done / Math.max(0.001, (Date.now() - startedAt) / 1000);

function eta(figures: ProgressFigures, startedAt: number): string {
  const done = figures.succeeded + figures.failed;
  const perSecond = rate(done, startedAt);
  if (done === 0 || perSecond === 0) return "-";
  return `${Math.ceil((figures.total - done) / perSecond)}s`;
}

/**
 * A live progress bar on a terminal; plain periodic lines when stdout is not a TTY (CI logs, pipes).
 */
export function progressView(stream: NodeJS.WriteStream = process.stdout, everyMs = 2_000): ProgressView {
  const startedAt = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          "{bar} {percentage}% | queued {queued} | dispatched {dispatched} | succeeded {succeeded} | failed {failed} | {rate}/s | ETA {etaText}",
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(f) {
        const payload = {
          ...f,
          rate: rate(f.succeeded + f.failed, startedAt).toFixed(0),
          etaText: eta(f, startedAt),
        };
        if (!started) {
          bar.start(f.total, 0, payload);
          started = true;
        }
        bar.update(f.succeeded + f.failed, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(f) {
      const done = f.succeeded + f.failed;
      if (Date.now() - last < everyMs && done < f.total) return;
      last = Date.now();
      stream.write(
        `progress ${done}/${f.total} (${Math.floor((done / Math.max(1, f.total)) * 100)}%) queued=${f.queued} dispatched=${f.dispatched} succeeded=${f.succeeded} failed=${f.failed} rate=${rate(done, startedAt).toFixed(0)}/s eta=${eta(f, startedAt)}\n`,
      );
    },
    stop() {},
  };
}
