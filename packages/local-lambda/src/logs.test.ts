import { describe, expect, it } from "vitest";
import { LogRouter, platformLines } from "./logs.ts";

describe("LogRouter", () => {
  it("prefixes printed lines with the function name and request id", () => {
    const printed: string[] = [];
    const logs = new LogRouter({ logDir: null, output: { write: (chunk) => printed.push(chunk) } });
    logs.write("worker", "req-1", "hello");
    logs.write("worker", undefined, "init line");
    expect(printed).toEqual(["[worker] [req-1] hello\n", "[worker] [-] init line\n"]);
  });

  it("returns the last 4096 bytes of a request's lines as base64", () => {
    const logs = new LogRouter({ logDir: null, output: null });
    logs.beginCapture("r");
    logs.write("f", "other", "not mine");
    for (let i = 0; i < 100; i += 1) logs.write("f", "r", `${i}:${"y".repeat(60)}`);
    const tail = Buffer.from(logs.endCapture("r"), "base64").toString();
    expect(Buffer.byteLength(tail)).toBe(4096);
    expect(tail.endsWith(`99:${"y".repeat(60)}\n`)).toBe(true);
    expect(tail).not.toContain("not mine");
  });
});

describe("platformLines.report", () => {
  it("formats REPORT like Lambda, with Init Duration only on a cold start", () => {
    const line = platformLines.report("r", {
      durationMs: 12.345,
      memoryMb: 256,
      maxMemoryUsedMb: 70,
      initDurationMs: 150.5,
    });
    expect(line).toBe(
      "REPORT RequestId: r\tDuration: 12.35 ms\tBilled Duration: 163 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\tInit Duration: 150.50 ms",
    );
    expect(
      platformLines.report("r", {
        durationMs: 1,
        memoryMb: 128,
        maxMemoryUsedMb: 60,
        initDurationMs: undefined,
        status: "timeout",
      }),
    ).toBe(
      "REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout",
    );
  });
});
