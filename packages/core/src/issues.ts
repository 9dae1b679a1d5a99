import type { z } from "zod";
import type { Issue } from "./errors.ts";

/** Turns zod issues into fanout issues with a readable path and, for job entries, the entry index. */
export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
      )
      .join("");
    const index =
      (issue.path[0] === "names" || issue.path[0] === "tasks") && typeof issue.path[1] === "number"
        ? issue.path[1]
        : undefined;
    return index === undefined ? { path, reason: issue.message } : { index, path, reason: issue.message };
  });
}
