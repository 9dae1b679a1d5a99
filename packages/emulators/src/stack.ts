import { parseSettings, type Settings } from "@fanout/tooling";
import { type RunningEmulators, type StartEmulatorsOptions, startEmulators } from "./emulators.ts";
import { awsEnv } from "./env.ts";
import { createResources, type FanoutResources } from "./resources.ts";

export interface LocalStack extends RunningEmulators {
  settings: Settings;
  region: string;
  resources: FanoutResources;
  /** {@link awsEnv} for these emulators (plus `lambdaEndpoint` if given). */
  env(lambdaEndpoint?: string): Record<string, string>;
}

/** Starts both emulators and creates fanout's resources on them from `settings` (default: all defaults). */
export async function startLocalResources(
  options: StartEmulatorsOptions & { settings?: Settings } = {},
): Promise<LocalStack> {
  const settings = options.settings ?? parseSettings({});
  const region = settings.aws_region;
  const emulators = await startEmulators(options);
  try {
    const resources = await createResources({
      settings,
      region,
      sqsEndpoint: emulators.sqsEndpoint,
      snsEndpoint: emulators.snsEndpoint,
      dynamoEndpoint: emulators.dynamoEndpoint,
    });
    return {
      ...emulators,
      settings,
      region,
      resources,
      env: (lambdaEndpoint) =>
        awsEnv({
          sqsEndpoint: emulators.sqsEndpoint,
          snsEndpoint: emulators.snsEndpoint,
          dynamoEndpoint: emulators.dynamoEndpoint,
          region,
          ...(lambdaEndpoint === undefined ? {} : { lambdaEndpoint }),
        }),
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}
