import { describe, expect, it } from "vitest";
import { itemBytes, units } from "./item-size.ts";

describe("item sizes and units", () => {
  it("sizes an item by DynamoDB's rules: names plus values, numbers by their significant digits", () => {
    // "pk" 2 + "TASK#a" 6; "n" 1 + 12345 (3 digit pairs, + 1) 4; "ok" 2 + BOOL 1.
    expect(itemBytes({ pk: { S: "TASK#a" }, n: { N: "12345" }, ok: { BOOL: true } })).toBe(16);
  });

  it("counts index, modelled index and refused writes as write units, only reads as read units", () => {
    const perTask = {
      "task.write": 3,
      "task.refused": 0.25,
      "job.index.model": 0.5,
      "job.index": 0.25,
      "job.read": 1,
      "slot.read": 0.5,
    };
    expect(units(perTask, false)).toBe(4);
    expect(units(perTask, true)).toBe(1.5);
  });
});
