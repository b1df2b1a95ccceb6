/**
 * The scenario loader with this project's step kinds: src/scenario/load.ts takes the step
 * language as an argument (that layer never names a step kind); this binds the registry.
 */
import { type LoadOptions as LoaderOptions, type LoadResult, loadScenarioFile as loadFile, loadScenarioText as loadText } from '../scenario/load.ts';
import { STEP_LANGUAGE } from './steps/registry.ts';

export type LoadOptions = Omit<LoaderOptions, 'language'>;

export function loadScenarioText(source: string, opts: LoadOptions): LoadResult {
  return loadText(source, { ...opts, language: STEP_LANGUAGE });
}

export function loadScenarioFile(path: string, opts: LoadOptions): LoadResult & { source: string | undefined } {
  return loadFile(path, { ...opts, language: STEP_LANGUAGE });
}
