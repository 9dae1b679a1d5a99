import { spawn } from "node:child_process";
import { startLocalResources } from "@fanout/emulators";
import { parseSettings } from "@fanout/tooling";

// Outside a test runner: start them, hand their endpoints to a process, stop them when it exits.
const stack = await startLocalResources({ settings: parseSettings({}) });
const child = spawn("node", ["handler.ts"], {
  env: { ...process.env, ...stack.env("http://127.0.0.1:3001") },
  stdio: "inherit",
});
child.on("exit", () => void stack.stop());
