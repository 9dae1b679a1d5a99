import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { hostileNames } from "./samples.ts";
import {
  encodeTask,
  encodeWorkerEvent,
  makePayloadTask,
  makeTask,
  newDispatchToken,
  parseTask,
  parseWorkerEvent,
  taskIdOf,
} from "./task.ts";

describe("task messages", () => {
  it("round-trip every hostile name byte-identical", () => {
    for (const [i, name] of hostileNames().entries()) {
      const task = makeTask("job-1", i, name);
      expect(parseTask(encodeTask(task))).toEqual(task);
    }
  });

  it("escape the noncharacters SQS refuses", () => {
    const body = encodeTask(makeTask("j", 0, "a\uFFFEb\uFFFF"));
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(parseTask(body)).toMatchObject({ v: 1, name: "a\uFFFEb\uFFFF" });
  });

  it("identify a task by job and index, stable across resubmissions", () => {
    expect(taskIdOf({ jobId: "j-1", index: 7 })).toBe("j-1#7");
  });

  it.each([
    ["not json", /not valid JSON/],
    [JSON.stringify({ v: 1, jobId: "j", index: -1, name: "a" }), /index/],
    [JSON.stringify({ v: 2, jobId: "j", index: 0, name: "a" }), /v/],
    [JSON.stringify({ v: 1, jobId: "j", index: 0 }), /name/],
    [JSON.stringify({ name: "seed format" }), /v: Invalid discriminator/],
  ])("reject the malformed body %s", (body, reason) => {
    expect(() => parseTask(body)).toThrow(ValidationError);
    expect(() => parseTask(body)).toThrow(reason);
  });
});

describe("worker events", () => {
  it("carry the dispatch token beside the task, which reads back unchanged", () => {
    const token = newDispatchToken();
    for (const task of [makeTask("j-1", 3, "Name3", 9), makePayloadTask("j-1", 4, { a: [1, null] }, 9)]) {
      expect(parseWorkerEvent(encodeWorkerEvent(task, token))).toEqual({ task, token });
      expect(parseWorkerEvent(JSON.parse(encodeWorkerEvent(task)))).toEqual({ task });
      expect(parseWorkerEvent(encodeWorkerEvent(task, token, 4))).toEqual({ task, token, slot: 4 });
    }
  });

  it.each([-1, 1.5, 1_000, "2"])("refuse the slot %j", (slot) => {
    const event = { ...makeTask("j-1", 0, "a"), slot };
    expect(() => parseWorkerEvent(event)).toThrow(/slot/);
    expect(() => parseTask(encodeWorkerEvent(makeTask("j-1", 0, "a"), undefined, 0))).toThrow(/slot/);
  });

  it("is a task message with one more field, so a queue message never passes with a token", () => {
    const event = encodeWorkerEvent(makeTask("j-1", 0, "a"), newDispatchToken());
    expect(() => parseTask(event)).toThrow(/token/);
  });

  it.each([
    ["", /token/],
    ["short", /token/],
    ["has spaces in it", /token/],
    [7, /token/],
  ])("refuse the token %j", (token, reason) => {
    const event = { ...makeTask("j-1", 0, "a"), token };
    expect(() => parseWorkerEvent(event)).toThrow(ValidationError);
    expect(() => parseWorkerEvent(event)).toThrow(reason);
  });

  it("draw tokens that do not repeat", () => {
    const tokens = new Set(Array.from({ length: 10_000 }, newDispatchToken));
    expect(tokens.size).toBe(10_000);
    for (const t of tokens) expect(t).toMatch(/^[\w-]{16}$/);
  });
});
