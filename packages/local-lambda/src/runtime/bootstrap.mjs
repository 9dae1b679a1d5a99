// The runtime inside one function instance (a child process forked by instance.ts). It plays the part of
// Lambda's Node.js runtime: loads the handler from LAMBDA_TASK_ROOT/_HANDLER, then runs one invocation at
// a time as the parent sends them over IPC, with a Lambda-shaped `context` and console.
// Plain JS on purpose: it is forked with an empty execArgv, outside any TypeScript loader.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";

/** Written to stdout and stderr after each invocation, so the parent knows every log line has arrived. */
const SENTINEL = "\u001e";

let currentRequestId;

// Lambda's Node.js runtime prefixes every console line with time, request id and level.
const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => {
    const text = format(...args);
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${text}\n`);
  };
}

function toErrorBody(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || error.constructor?.name || "Error",
      errorMessage: error.message,
      trace: typeof error.stack === "string" ? error.stack.split("\n") : [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function injected(body) {
  const error = new Error(body.errorMessage);
  error.name = body.errorType;
  error.stack = (body.trace ?? []).join("\n");
  return error;
}

function runtimeError(errorType, errorMessage) {
  const error = new Error(errorMessage);
  error.name = errorType;
  return toErrorBody(error);
}

function send(message) {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send(message, () => resolve());
  });
}

function memoryUsedMb() {
  return Math.round(process.memoryUsage().rss / 1_048_576);
}

/** `dir/index.handler` → module `dir/index`, export path `handler` (Lambda splits at the first dot of the last segment). */
function splitHandler(handler) {
  const slash = handler.lastIndexOf("/");
  const dot = handler.indexOf(".", slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) return undefined;
  return { module: handler.slice(0, dot), path: handler.slice(dot + 1).split(".") };
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const handlerString = process.env._HANDLER ?? "";
  const parts = splitHandler(handlerString);
  if (parts === undefined) {
    throw runtimeError("Runtime.MalformedHandlerName", `Bad handler ${handlerString}`);
  }
  const file = [".js", ".mjs", ".cjs"]
    .map((ext) => join(root, parts.module + ext))
    .find((f) => existsSync(f));
  if (file === undefined) {
    throw runtimeError("Runtime.ImportModuleError", `Error: Cannot find module '${parts.module}'`);
  }
  let target;
  try {
    target = await import(pathToFileURL(file).href);
  } catch (error) {
    const body = toErrorBody(error);
    throw error instanceof SyntaxError ? { ...body, errorType: "Runtime.UserCodeSyntaxError" } : body;
  }
  for (const key of parts.path) target = target?.[key];
  if (typeof target !== "function") {
    throw runtimeError("Runtime.HandlerNotFound", `${handlerString} is undefined or not exported`);
  }
  return target;
}

function traceId() {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, value) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(value);
    };
    const returned = handler(event, context, callback);
    if (returned !== null && typeof returned === "object" && typeof returned.then === "function") {
      returned.then((value) => callback(null, value), callback);
    } else if (handler.length < 3) {
      callback(null, returned);
    }
  });
}

async function invoke(handler, message) {
  currentRequestId = message.requestId;
  if (message.hang === true) return;
  process.env._X_AMZN_TRACE_ID = traceId();
  const context = {
    awsRequestId: message.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: message.clientContext,
    identity: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
  let reply;
  try {
    const event = JSON.parse(message.event);
    if (message.injectError !== undefined) throw injected(message.injectError);
    const value = await runHandler(handler, event, context);
    const payload = JSON.stringify(value === undefined ? null : value) ?? "null";
    reply = { type: "result", requestId: message.requestId, payload };
  } catch (error) {
    const body = toErrorBody(error);
    console.error(
      `Invoke Error \t${JSON.stringify({ errorType: body.errorType, errorMessage: body.errorMessage, stack: body.trace })}`,
    );
    reply = { type: "error", requestId: message.requestId, error: body };
  }
  endInvocation(message.requestId);
  await send({ ...reply, maxMemoryUsedMb: memoryUsedMb() });
}

function endInvocation(requestId) {
  process.stdout.write(`${SENTINEL}${requestId}${SENTINEL}\n`);
  process.stderr.write(`${SENTINEL}${requestId}${SENTINEL}\n`);
  currentRequestId = undefined;
}

async function failFatally(errorType, error) {
  const body = { ...toErrorBody(error), errorType };
  if (currentRequestId !== undefined) {
    const requestId = currentRequestId;
    console.error(`${errorType} \t${JSON.stringify(body)}`);
    endInvocation(requestId);
    await send({ type: "error", requestId, error: body, fatal: true, maxMemoryUsedMb: memoryUsedMb() });
  }
  process.exit(129);
}

process.on("unhandledRejection", (reason) => void failFatally("Runtime.UnhandledPromiseRejection", reason));
process.on("uncaughtException", (error) => void failFatally(toErrorBody(error).errorType, error));
// The parent is gone (or closed the channel): an orphaned instance must not linger.
process.on("disconnect", () => process.exit(0));

let handler;
try {
  handler = await loadHandler();
  await send({ type: "ready" });
} catch (error) {
  const body = error instanceof Error ? toErrorBody(error) : error;
  await send({ type: "init-error", error: body });
  process.exit(1);
}

process.on("message", (message) => {
  if (message?.type === "invoke") void invoke(handler, message);
});
