export { bundleFunction } from "./bundle.ts";
export { writeDeterministicZip } from "./zip.ts";
