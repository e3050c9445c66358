import { UnavailableError } from '../domain/errors';

/**
 * A model could not be loaded or does not match its declared contract (missing file, wrong input or
 * output names, wrong embedding dimension). The message names the model and what to fix.
 */
export class ModelLoadError extends UnavailableError {
  constructor(
    readonly model: string,
    problem: string,
  ) {
    super(`model "${model}": ${problem}`, { model });
  }
}
