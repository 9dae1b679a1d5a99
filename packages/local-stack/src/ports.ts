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
