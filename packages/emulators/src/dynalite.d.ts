declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
    ssl?: boolean;
    /** fanout's: receives every committed change (dynalite-changes.ts). */
    changeSink?: (change: import("./dynalite-changes.ts").ItemChange) => void;
  }

  /** Returns an http server that is not listening yet. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
