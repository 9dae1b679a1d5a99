export type { Finding } from "./findings.ts";
export { finding, formatFindings } from "./findings.ts";
export { loadStack } from "./hcl.ts";
export { leastPrivilege, operatorPrivilege } from "./iam.ts";
export type { WorkspacePackage } from "./workspace.ts";
export { repoRoot, workspaceClosure, workspacePackages } from "./workspace.ts";
