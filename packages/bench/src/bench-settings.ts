import { loadSettings, parseSettings, type Settings, type SettingsInput } from "@fanout/tooling";

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k] as Plain, v) : v;
  return out;
}

/** Deep partial of the settings file's shape: what a bench step changes. */
export type SettingsOverride = {
  [K in keyof SettingsInput]?: SettingsInput[K] extends object ? Partial<SettingsInput[K]> : SettingsInput[K];
};

/**
 * The settings file with a bench step's overrides, validated again (so an override outside the settings'
 * ranges is refused here, naming the key, as the file itself would be).
 */
export function settingsWith(base: Settings | string, override: SettingsOverride): Settings {
  const settings = typeof base === "string" ? loadSettings(base) : base;
  return parseSettings(merge(settings as unknown as Plain, override as Plain), "bench settings override");
}
