export { mainHandler } from "./main-handler.ts";
