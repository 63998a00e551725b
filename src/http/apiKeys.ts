/** API keys are named by environment variable in sweep files and read only by workers, here. */
import { missingApiKey } from './failures';

/** Reads the API key named by `apiKeyEnv` (if any) from `env`; MissingApiKey when named but unset. */
export function readApiKey(env: NodeJS.ProcessEnv, apiKeyEnv: string | undefined, who: string): string | undefined {
  if (!apiKeyEnv) return undefined;
  const v = env[apiKeyEnv];
  if (v === undefined || v.trim() === '') throw missingApiKey(apiKeyEnv, who);
  return v.trim();
}
