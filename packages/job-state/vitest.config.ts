// Shared timeouts: see vitest.shared.ts at the root.
export { sharedConfig as default } from "../../vitest.shared.ts";
