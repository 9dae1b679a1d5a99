/** Emulators accept any credentials; these only let the SDK sign requests. */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" } as const;
export const defaultRegion = "us-east-1";
