import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./errors.ts";
import type { Io } from "./io.ts";
import { writeJson, writeLine } from "./output.ts";

/**
 * Lambda refuses a reserved concurrency that would leave the account fewer unreserved concurrent executions
 * than this (PutFunctionConcurrency: "the unreserved concurrency ... must be at least 100").
 */
export const minimumUnreserved = 100;

export interface DoctorReport {
  /** The account's concurrent-executions limit in the region (GetAccountSettings). */
  accountLimit: number;
  /** Reserved by functions other than these three (what the account has reserved, less their reservations now). */
  reservedByOthers: number;
  functions: {
    function: "main" | "consumer" | "worker";
    name: string;
    reservedNow: number;
    reserving: number;
  }[];
  /** Unreserved concurrent executions once the settings' reservations are applied. */
  unreservedAfter: number;
  fits: boolean;
}

/**
 * `fanout doctor`: before an apply, whether the settings file's reserved concurrency fits the account.
 * Reads GetAccountSettings and each function's GetFunctionConcurrency (a function not deployed yet reserves
 * nothing), and applies Lambda's rule: at least {@link minimumUnreserved} must stay unreserved. Exit 1 when it
 * does not fit, with what to change. IAM: lambda:GetAccountSettings, lambda:GetFunctionConcurrency.
 *
 * @example
 * const code = await doctor(ctx, io, { json: false }); // 0: the reservations fit
 */
export async function doctor(ctx: CliContext, io: Io, flags: { json: boolean }): Promise<number> {
  const account = await ctx.lambda.send(new GetAccountSettingsCommand({}));
  const accountLimit = account.AccountLimit?.ConcurrentExecutions ?? 0;
  const unreservedNow = account.AccountLimit?.UnreservedConcurrentExecutions ?? accountLimit;
  const functions = await Promise.all(
    (["main", "consumer", "worker"] as const).map(async (fn) => {
      const name = ctx.names[`${fn}Function`];
      const reservedNow = await ctx.lambda
        .send(new GetFunctionConcurrencyCommand({ FunctionName: name }))
        .then((r) => r.ReservedConcurrentExecutions ?? 0)
        .catch((error: unknown) => {
          // Not deployed yet: it reserves nothing now.
          if ((error as { name?: string }).name === "ResourceNotFoundException") return 0;
          throw error;
        });
      return {
        function: fn,
        name,
        reservedNow,
        reserving: ctx.settings.functions[fn].reserved_concurrency ?? 0,
      };
    }),
  );
  const sum = (pick: (f: (typeof functions)[number]) => number) => functions.reduce((n, f) => n + pick(f), 0);
  const reservedByOthers = Math.max(0, accountLimit - unreservedNow - sum((f) => f.reservedNow));
  const unreservedAfter = accountLimit - reservedByOthers - sum((f) => f.reserving);
  const report: DoctorReport = {
    accountLimit,
    reservedByOthers,
    functions,
    unreservedAfter,
    fits: unreservedAfter >= minimumUnreserved,
  };
  if (flags.json) writeJson(io.stdout, report);
  else {
    for (const f of functions)
      writeLine(io.stdout, `${f.name}: reserves ${f.reserving} (now ${f.reservedNow})`);
    writeLine(
      io.stdout,
      `account limit ${accountLimit} concurrent executions, ${reservedByOthers} reserved by other functions: ${unreservedAfter} left unreserved after this apply (Lambda needs at least ${minimumUnreserved})`,
    );
    writeLine(io.stdout, report.fits ? "reserved concurrency: fits" : "reserved concurrency: DOES NOT FIT");
  }
  if (report.fits) return ExitCode.Ok;
  io.stderr.write(
    `fanout: the settings reserve ${sum((f) => f.reserving)} concurrent executions, but the account has ${accountLimit - reservedByOthers} to reserve from and must keep ${minimumUnreserved} unreserved: lower functions.*.reserved_concurrency in the settings file, or ask for a higher "Concurrent executions" quota (Service Quotas, AWS Lambda) before applying\n`,
  );
  return ExitCode.Failure;
}
