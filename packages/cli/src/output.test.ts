import { describe, expect, it } from "vitest";
import { percentOf, printable, table, truncate } from "./output.ts";

describe("output", () => {
  it("escapes control characters so a hostile name cannot move the cursor or fake a line", () => {
    expect(printable("a\nb\r\tc\u001b[2Jd\u0000\u2028")).toBe("a\\nb\\r\\tc\\u001b[2Jd\\u0000\\u2028");
    expect(printable("plain ünïcode 🎉")).toBe("plain ünïcode 🎉");
  });

  it("truncates by characters, never cutting an emoji in half, and marks the cut", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 3)).toBe("abc");
    expect(truncate("🎉🎉🎉🎉", 3)).toBe("🎉🎉…");
  });

  it("pads table columns to the widest cell", () => {
    expect(table(["A", "BB"], [["xxx", "1"]])).toBe("A    BB\nxxx  1");
  });

  it("rounds percent down so 100% means every task", () => {
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(3, 3)).toBe(100);
  });
});
