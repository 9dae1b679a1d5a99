import { describe, expect, it } from "vitest";
import { checkSchedule, scheduleExpressionProblem } from "./schedule.ts";
import { messages, stackWith } from "./testing.ts";

describe("scheduleExpressionProblem", () => {
  it.each([
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "cron(0/5 * * * ? *)",
    "cron(0 8 ? * MON-FRI *)",
  ])("accepts %s", (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ["rate(1 minutes)", 'say "1 minute"'],
    ["rate(5 minute)", 'say "5 minutes"'],
    ["rate(0 minutes)", "the rate must be at least 1"],
    ["rate(2 weeks)", 'unknown unit "weeks"'],
    ["cron(0/5 * * * *)", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"],
    ["cron(0 8 * * * *)", "exactly one of day-of-month and day-of-week must be ?"],
    ["every minute", "must be rate(...) or cron(...)"],
  ])("refuses %s: %s", (expression, reason) => {
    expect(scheduleExpressionProblem(expression)).toBe(reason);
  });
});

describe("checkSchedule", () => {
  it("passes the stack as written", async () => {
    expect(messages(checkSchedule(await stackWith()))).toEqual([]);
  });

  it("catches a validation that lets invalid expressions through", async () => {
    const found = messages(checkSchedule(await stackWith(["schedule-loose-regex_override.tf", ""])));
    expect(found).toContain('root: schedule_expression validation accepts invalid "every 5 minutes"');
  });

  it("catches a schedule that does not run the consumer", async () => {
    expect(messages(checkSchedule(await stackWith(["schedule-targets-worker_override.tf", ""])))).toEqual([
      'root: module "schedule": the schedule does not target the consumer',
    ]);
  });
});
