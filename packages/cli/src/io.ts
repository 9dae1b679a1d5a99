/** Where a command writes. The binary passes process streams; tests pass in-memory ones. */
export interface Output {
  write(text: string): unknown;
  /** A terminal: progress is drawn as a bar instead of periodic lines. */
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  /** Read by `submit -` and `invoke fn -`. */
  stdin: NodeJS.ReadableStream;
  /** Set when the user interrupts (Ctrl-C): watches stop and restore the terminal. */
  signal?: AbortSignal;
}

/** Collects what a command writes, for tests. */
export function memoryOutput(isTTY = false): Output & { text(): string } {
  const chunks: string[] = [];
  return {
    isTTY,
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(""),
  };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
