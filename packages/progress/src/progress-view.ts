import cliProgress from "cli-progress";

/** Where a progress view writes: a terminal gets a bar, anything else plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** What a view shows of a snapshot `T` (a job's status, the demo's figures). */
export interface ProgressLayout<T> {
  total(snapshot: T): number;
  /** How much of `total` is finished: the bar's position. */
  done(snapshot: T): number;
  /** A cli-progress format string: `{bar}`, `{percentage}` and the tokens `tokens` returns. */
  barFormat: string;
  tokens(snapshot: T): Record<string, string | number>;
  /** The plain line written when the stream is not a terminal (no newline). */
  line(snapshot: T): string;
  /** Put an ISO time before each plain line. @default false */
  timestamps?: boolean;
  /** At most one plain line per `everyMs`, except the one that shows everything done. @default 0 */
  everyMs?: number;
}

export interface ProgressView<T> {
  update(snapshot: T): void;
  stop(): void;
}

/**
 * Shows progress: a bar redrawn in place on a terminal, otherwise one plain line each time the line
 * changes, at most once per `layout.everyMs` (readable in CI logs and pipes, no escape codes).
 */
export function progressView<T>(stream: ProgressStream, layout: ProgressLayout<T>): ProgressView<T> {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: layout.barFormat,
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(snapshot) {
        const tokens = layout.tokens(snapshot);
        if (!started) {
          bar.start(Math.max(1, layout.total(snapshot)), 0, tokens);
          started = true;
        }
        bar.update(layout.done(snapshot), tokens);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = "";
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    update(snapshot) {
      const line = layout.line(snapshot);
      const finished = layout.done(snapshot) >= layout.total(snapshot);
      if (line === last || (!finished && Date.now() - lastAt < (layout.everyMs ?? 0))) return;
      last = line;
      lastAt = Date.now();
      stream.write(layout.timestamps ? `${new Date().toISOString()} ${line}\n` : `${line}\n`);
    },
    stop() {},
  };
}
