export type { MetricTotal } from "./emf.ts";
export { emfData, metricSum, metricsTable, sumMetrics } from "./emf.ts";
export { sampleNames } from "./samples.ts";
export type { ResourceNames, Settings, SettingsInput } from "./settings.ts";
export { loadSettings, parseSettings, resourceNames, settingsSchema } from "./settings.ts";
