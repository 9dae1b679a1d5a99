import { createServer } from "node:net";

/** Resolves a port to listen on: `preferred` when it is free, otherwise (or when 0) a free one. */
export async function pickPort(preferred: number, host = "127.0.0.1"): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, host, () => {
        const address = server.address();
        const got = typeof address === "object" && address ? address.port : undefined;
        server.close(() => resolve(got));
      });
    });
  if (preferred !== 0) {
    const got = await tryListen(preferred);
    if (got !== undefined) return got;
  }
  const free = await tryListen(0);
  if (free === undefined) throw new Error("no free port on loopback");
  return free;
}

/**
 * Fails with one message naming every fixed port that is already taken, and the flag that moves it,
 * before anything starts. Port 0 means "any free port" and is always fine.
 */
export async function assertPortsFree(
  ports: readonly { port: number; flag: string }[],
  host = "127.0.0.1",
): Promise<void> {
  const taken: string[] = [];
  for (const { port, flag } of ports) {
    if (port === 0) continue;
    if ((await pickPort(port, host)) !== port) taken.push(`${port} (move it with ${flag})`);
  }
  if (taken.length > 0) throw new Error(`port already in use on ${host}: ${taken.join(", ")}`);
}
