export type { ProgressLayout } from "./progress-view.ts";
export { progressView } from "./progress-view.ts";
