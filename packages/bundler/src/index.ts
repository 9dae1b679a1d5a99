export type { BundleOptions, BundleResult } from "./bundle.ts";
export { bundleFunction, describeResult } from "./bundle.ts";
export type { FunctionManifest } from "./manifest.ts";
export { manifestSchema, readManifest, targetOf } from "./manifest.ts";
export type { ZipEntry } from "./zip.ts";
export { writeDeterministicZip } from "./zip.ts";
