import { readFile } from "node:fs/promises";
import { type CliContext, functionNameOf } from "./context.ts";
import { CliError, ExitCode, oneLine, UsageError } from "./errors.ts";
import type { InvokeFlags } from "./flags.ts";
import { type Io, readAll } from "./io.ts";
import { functionErrorText, invokeFunction } from "./lambda.ts";
import { truncate, writeLine } from "./output.ts";

/** The payload argument: JSON text, `@file`, or `-` for stdin. Not JSON → a usage error. */
export async function readPayload(io: Io, arg: string): Promise<string> {
  let text = arg;
  let source = "payload";
  if (arg === "-") {
    text = await readAll(io.stdin);
    source = "payload from stdin";
  } else if (arg.startsWith("@")) {
    const file = arg.slice(1);
    source = `payload file ${file}`;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new CliError(`cannot read ${source}: ${e.code === "ENOENT" ? "no such file" : e.message}`, {
        cause: error,
      });
    }
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON (${(error as Error).message})`, "fanout invoke", {
      cause: error,
    });
  }
  return text;
}

/**
 * `fanout invoke <function> [payload]`: invokes a function by short name (`main`, `consumer`, `worker`)
 * or full name. Synchronous by default: prints the response payload; a function error is printed too and
 * exits 1. With `event`, an asynchronous invoke that prints the status code (202).
 *
 * @example
 * const code = await invoke(ctx, io, { function: "consumer", payload: "{}", event: true, log: false });
 */
export async function invoke(ctx: CliContext, io: Io, flags: InvokeFlags): Promise<number> {
  const payload = await readPayload(io, flags.payload);
  const name = functionNameOf(ctx.names, flags.function);
  const out = await invokeFunction(ctx.lambda, name, payload, { event: flags.event, tail: flags.log });
  if (flags.event) {
    writeLine(io.stdout, String(out.statusCode ?? ""));
    return ExitCode.Ok;
  }
  if (out.log !== undefined) io.stderr.write(out.log.endsWith("\n") ? out.log : `${out.log}\n`);
  writeLine(io.stdout, pretty(out.payload));
  if (out.functionError) {
    throw new CliError(
      `${name} failed (${out.functionError}): ${truncate(oneLine(functionErrorText(out.payload)), 500)}`,
    );
  }
  return ExitCode.Ok;
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
