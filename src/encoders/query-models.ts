/**
 * The query-side models of a running server (the text tower and the fusion network), swappable
 * without dropping a request.
 *
 * The search service holds `text` and `fusion`, two stable objects that forward each call to the
 * models current at the moment of the call. `reload` builds and loads the new models completely
 * (ONNX sessions created, a test input run) before one assignment swaps them in: a request already
 * encoding finishes on the models it started with, every later call uses the new ones, and none
 * waits or fails. Reloads run one at a time.
 *
 * A reload may only change what encodes queries. The models that embed products (image tower,
 * gallery text tower) make the index's key; new models with another key would search a space their
 * vectors do not live in, so the reload is refused with both keys named, and the running models stay.
 */
import { IncompatibleModelsError } from '../domain/errors';
import type { FusionEncoder, ModelVersion, TextEncoder } from './encoder';

export interface QueryModels {
  text: TextEncoder;
  fusion: FusionEncoder;
  /** Identifies the gallery the models search: the index and the models that embed products. */
  indexKey: string;
  models: (ModelVersion & { role: string })[];
}

export interface ReloadResult {
  changed: boolean;
  previous: (ModelVersion & { role: string })[];
  models: (ModelVersion & { role: string })[];
}

function sameModels(a: QueryModels['models'], b: QueryModels['models']): boolean {
  const key = (m: ModelVersion & { role: string }) => `${m.role}=${m.name}@${m.version}`;
  return a.map(key).sort().join(' ') === b.map(key).sort().join(' ');
}

export class ReloadableQueryModels {
  private current: QueryModels;
  private reloading: Promise<ReloadResult> | null = null;
  /** Forwards to the current text tower. */
  readonly text: TextEncoder;
  /** Forwards to the current fusion network. */
  readonly fusion: FusionEncoder;

  constructor(
    initial: QueryModels,
    private readonly open: () => Promise<QueryModels & { warmUp(): Promise<void> }>,
    private readonly onSwap: (models: QueryModels) => void = () => undefined,
  ) {
    this.current = initial;
    const self = this;
    this.text = {
      get dim() {
        return self.current.text.dim;
      },
      encode: (texts) => this.current.text.encode(texts),
    };
    this.fusion = {
      get dim() {
        return self.current.fusion.dim;
      },
      fuse: (pairs) => this.current.fusion.fuse(pairs),
    };
  }

  get models(): QueryModels['models'] {
    return this.current.models;
  }

  get indexKey(): string {
    return this.current.indexKey;
  }

  /** Reads the models again and swaps in the new query models; concurrent callers share one reload. */
  reload(): Promise<ReloadResult> {
    if (!this.reloading) {
      this.reloading = this.swap().finally(() => {
        this.reloading = null;
      });
    }
    return this.reloading;
  }

  private async swap(): Promise<ReloadResult> {
    const next = await this.open();
    const previous = this.current;
    if (next.indexKey !== previous.indexKey) {
      throw new IncompatibleModelsError(
        `the models on disk embed products differently ("${next.indexKey}") from the index this server searches ("${previous.indexKey}"); ` +
          'a reload swaps query models only: re-ingest the catalogue with the new models (a new data folder or collection) and restart',
        { running: previous.indexKey, onDisk: next.indexKey },
      );
    }
    if (next.text.dim !== previous.text.dim) {
      throw new IncompatibleModelsError(`the new text tower returns ${next.text.dim} dimensions; the index has ${previous.text.dim}`, { running: previous.text.dim, onDisk: next.text.dim });
    }
    if (sameModels(next.models, previous.models)) return { changed: false, previous: previous.models, models: previous.models };
    await next.warmUp();
    // one test input through each new model before any request reaches it
    const [probe] = await next.text.encode(['reload check']);
    await next.fusion.fuse([{ image: probe, text: probe }]);
    this.current = { text: next.text, fusion: next.fusion, indexKey: next.indexKey, models: next.models };
    this.onSwap(this.current);
    return { changed: true, previous: previous.models, models: next.models };
  }
}
