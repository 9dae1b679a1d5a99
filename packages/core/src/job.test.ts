import { describe, expect, it } from "vitest";
import { InvalidJobError } from "./errors.ts";
import { contentHashOf, parseJob, taskCountOf, taskOf } from "./job.ts";
import { jobLimits, limits } from "./limits.ts";
import { hostileNames } from "./samples.ts";
import { encodedValueBytes, encodeTask, makeTask, parseTask, payloadOf } from "./task.ts";

function issuesOf(input: unknown, maxTasks?: number) {
  try {
    parseJob(input, maxTasks === undefined ? {} : { maxTasks });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidJobError);
    return (error as InvalidJobError).issues;
  }
  throw new Error("expected the job to be rejected");
}

describe("parseJob", () => {
  it("accepts the seed's job and keeps every name in order", () => {
    const job = parseJob({ names: [{ name: "Name1" }, { name: "Name2" }] });
    expect(job).toMatchObject({ format: "names", names: ["Name1", "Name2"], options: {} });
    expect(job.jobId).toMatch(jobLimits.jobIdPattern);
  });

  it("derives the same jobId from the same content, so a retried submission dedups", () => {
    const a = parseJob({ names: [{ name: "A" }] });
    const b = parseJob(JSON.stringify({ names: [{ name: "A" }] }));
    const c = parseJob({ names: [{ name: "B" }] });
    expect(a.jobId).toBe(b.jobId);
    expect(a.jobId).not.toBe(c.jobId);
  });

  it("keeps a caller's jobId", () => {
    expect(parseJob({ jobId: "nightly-2026-11-29", names: [{ name: "A" }] }).jobId).toBe(
      "nightly-2026-11-29",
    );
  });

  it("accepts hostile names unchanged, including one of exactly the size limit", () => {
    const names = hostileNames();
    expect(Buffer.byteLength(names.at(-1) ?? "", "utf8")).toBe(jobLimits.maxNameBytes);
    expect(parseJob({ names: names.map((name) => ({ name })) })).toMatchObject({ names });
  });

  it("rejects text that is not JSON", () => {
    expect(issuesOf("{names: [")[0]?.reason).toMatch(/not valid JSON/);
  });

  it.each([
    [{}, "names", /names is missing/],
    [{ names: "Name1" }, "names", /must be a list/],
    [{ names: [] }, "names", /must not be empty/],
    [[], "", /JSON object/],
    [{ names: [{ name: "a" }], extra: 1 }, "", /extra/],
    [{ jobId: "has space", names: [{ name: "a" }] }, "jobId", /jobId/],
  ])("rejects %j with an issue at %s", (input, path, reason) => {
    const issues = issuesOf(input);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.reason).toMatch(reason);
  });

  it("reports every bad entry by index and reason, not just the first", () => {
    const issues = issuesOf({
      names: [
        { name: "ok" },
        {},
        { name: 42 },
        { name: "" },
        "Name4",
        { name: "x".repeat(jobLimits.maxNameBytes + 1) },
        { name: "ok", other: true },
      ],
    });
    expect(issues.map((i) => i.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(issues.map((i) => i.reason)).toEqual([
      "name is missing",
      "name must be a string",
      "name must not be empty",
      expect.stringMatching(/entry must be an object/),
      `name is ${jobLimits.maxNameBytes + 1} bytes, over the ${jobLimits.maxNameBytes}-byte limit`,
      expect.stringMatching(/other/),
    ]);
    expect(issues[0]?.path).toBe("names[1].name");
  });

  it("rejects a name within the byte limit whose JSON escaping would not fit the 1 MiB task message", () => {
    const controls = "\u0001".repeat(jobLimits.maxNameBytes); // 1 byte each, 6 bytes each escaped
    const [issue, ...rest] = issuesOf({ names: [{ name: "ok" }, { name: controls }] });
    expect(rest).toEqual([]);
    expect(issue?.index).toBe(1);
    expect(issue?.reason).toMatch(/1572866 bytes once JSON-escaped.*over the 917504-byte limit/);
    // The largest hostile sample (exactly maxNameBytes of text) still fits once escaped.
    const largest = hostileNames().reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
    expect(Buffer.byteLength(largest)).toBe(jobLimits.maxNameBytes);
    expect(encodedValueBytes(largest)).toBeLessThanOrEqual(jobLimits.maxEncodedNameBytes);
    expect(encodeTask(makeTask("j", 0, largest)).length).toBeLessThan(limits.sqsMessageBytes);
  });

  it("rejects more names than the task-count limit", () => {
    const names = Array.from({ length: 11 }, (_, i) => ({ name: `n${i}` }));
    expect(issuesOf({ names }, 10)[0]?.reason).toMatch(/at most 10 names/);
  });

  it("rejects a job over the byte limit before parsing it", () => {
    const text = JSON.stringify({ names: [{ name: "x".repeat(jobLimits.maxJobBytes) }] });
    expect(issuesOf(text)[0]?.reason).toMatch(/byte limit/);
  });
});

describe("parseJob: the tasks format and job options", () => {
  it("accepts any JSON value as a task and hands it to the worker unchanged", () => {
    const tasks = [
      { url: "https://example.com", depth: 2 },
      "plain",
      42,
      null,
      [1, [2]],
      true,
      { "\u0000": "" },
    ];
    const job = parseJob({ jobId: "any-json", tasks });
    expect(job.format).toBe("tasks");
    expect(taskCountOf(job)).toBe(tasks.length);
    tasks.forEach((payload, i) => {
      const task = parseTask(encodeTask(taskOf(job, i, 7)));
      expect(task).toMatchObject({ v: 2, jobId: "any-json", index: i, epoch: 7 });
      expect(payloadOf(task)).toEqual(payload);
    });
  });

  it("keeps the seed format's messages and default jobId unchanged (v1, hashed as before)", () => {
    const job = parseJob({ names: [{ name: "Name1" }] });
    expect(encodeTask(taskOf(job, 0, 5))).toBe(encodeTask(makeTask(job.jobId, 0, "Name1", 5)));
    expect(job.contentHash).toBe(contentHashOf(["Name1"]));
    expect(payloadOf(taskOf(job, 0, 5))).toEqual({ name: "Name1" });
  });

  it("stores the options and counts them in the content, so other options under the same jobId conflict", () => {
    const plain = parseJob({ jobId: "x", tasks: [1, 2] });
    const capped = parseJob({ jobId: "x", tasks: [1, 2], maxConcurrency: 5, toleratedFailureCount: 0 });
    expect(capped.options).toEqual({ maxConcurrency: 5, toleratedFailureCount: 0 });
    expect(capped.contentHash).not.toBe(plain.contentHash);
    expect(parseJob({ names: [{ name: "a" }], toleratedFailurePercentage: 12.5 }).options).toEqual({
      toleratedFailurePercentage: 12.5,
    });
  });

  it.each([
    [{ tasks: [] }, "tasks", /tasks must not be empty/],
    [{ tasks: "x" }, "tasks", /tasks must be a list/],
    [{ tasks: [1], maxConcurrency: 0 }, "maxConcurrency", /1 to 1000/],
    [{ tasks: [1], maxConcurrency: 1.5 }, "maxConcurrency", /1 to 1000/],
    [{ tasks: [1], maxConcurrency: 1001 }, "maxConcurrency", /1 to 1000/],
    [{ tasks: [1], toleratedFailureCount: -1 }, "toleratedFailureCount", /0 or more/],
    [{ tasks: [1], toleratedFailurePercentage: 101 }, "toleratedFailurePercentage", /0 to 100/],
    [{ names: [{ name: "a" }], maxConcurrency: "5" }, "maxConcurrency", /1 to 1000/],
    [{ names: [{ name: "a" }], tasks: [1] }, "", /either names or tasks/],
  ])("rejects %j with an issue at %s", (input, path, reason) => {
    const issues = issuesOf(input);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.reason).toMatch(reason);
  });

  it("names every oversized task by index, and refuses values that are not JSON", () => {
    const big = "\u0001".repeat(jobLimits.maxNameBytes);
    const issues = issuesOf({ tasks: [1, { big }, 3, [big]] });
    expect(issues.map((i) => i.index)).toEqual([1, 3]);
    expect(issues[0]?.reason).toMatch(/task is \d+ bytes once JSON-escaped/);
    expect(issuesOf({ tasks: [1, undefined, () => 1] }).map((i) => i.index)).toEqual([1, 2]);
  });
});
