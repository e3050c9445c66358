import { env } from '@huggingface/transformers';

/**
 * transformers.js reads tokenizers, processors and CLIP-layout models from local folders only:
 * remote downloads and caches are switched off, so nothing reaches the network.
 * Folders are passed to `from_pretrained` as absolute paths; `localModelPath` is set to the models root.
 */
export function useLocalModelsOnly(localModelPath: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.localModelPath = localModelPath.endsWith('/') ? localModelPath : `${localModelPath}/`;
}
