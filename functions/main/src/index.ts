export { mainHandler } from "./main-handler.ts";
export { mainDeps } from "./wiring.ts";
