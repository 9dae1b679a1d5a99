// Runs a local stack in its own process for the benchmark (forked by remote-stack.ts), so the emulators'
// CPU is not charged to the consumer being measured. Answers a few requests over IPC.
import { startStack } from "@fanout/local-stack";
import type { HostReply, HostRequest, StackHostOptions } from "./remote-stack.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as StackHostOptions;
const stack = await startStack({
  ...(options.settingsPath ? { settingsPath: options.settingsPath } : {}),
  ...(options.settings ? { settings: options.settings } : {}),
  ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
  sqsPort: 0,
  dynamoPort: 0,
  lambdaPort: 0,
  output: null,
  logDir: options.logDir,
  schedule: options.schedule,
  latencyMs: options.latencyMs,
});
const send = (reply: HostReply) => process.send?.(reply);
// The bench process ended (or was interrupted) without stopping the stack: stop it, do not linger.
process.once("disconnect", () => {
  void stack.stop().finally(() => process.exit(0));
});
send({
  type: "ready",
  info: {
    settings: stack.settings,
    names: stack.names,
    resources: stack.resources,
    endpoints: stack.endpoints,
    env: stack.env,
  },
});
process.on("message", (request: HostRequest) => {
  void (async () => {
    switch (request.type) {
      case "idle":
        await stack.lambda.idle();
        return send({ type: "done", id: request.id });
      case "stats":
        return send({ type: "done", id: request.id, value: stack.lambda.stats() });
      case "configure":
        stack.lambda.configure(request.name, request.spec);
        return send({ type: "done", id: request.id });
      case "deploy":
        stack.deployCode(request.fn, request.zipPath);
        return send({ type: "done", id: request.id });
      case "stop":
        await stack.stop();
        process.send?.({ type: "done", id: request.id } satisfies HostReply, () => process.exit(0));
        return;
    }
  })().catch((error: unknown) => send({ type: "error", id: request.id, message: String(error) }));
});
