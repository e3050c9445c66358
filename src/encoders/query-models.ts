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
 * A reload swaps only what encodes queries. The models that embed products (image tower, gallery
 * text tower) make the index's key; new models with another key would search a space their vectors
 * do not live in. Such a reload goes to `onGalleryChange` (the server's gallery rebuild, see
 * src/gallery/gallery-rebuild.service.ts), which re-embeds the catalogue in the background while
 * the running models keep serving, and calls `install` when the new gallery is complete; without
 * it the reload is refused with both keys named, and the running models stay.
 *
 * `image` and `galleryText` forward to the current gallery models (what writes and the catalogue
 * ingest embed products with), so `install` moves them together with the query models.
 */
import { IncompatibleModelsError } from '../domain/errors';
import type { RebuildStatus } from '../gallery/gallery-rebuild.service';
import type { FusionEncoder, ImageEncoder, ModelVersion, TextEncoder } from './encoder';

export interface QueryModels {
  text: TextEncoder;
  fusion: FusionEncoder;
  /** Identifies the gallery the models search: the index and the models that embed products. */
  indexKey: string;
  models: (ModelVersion & { role: string })[];
  /** The image tower that embeds products (and image queries). */
  image?: ImageEncoder;
  /** The text tower that embeds products; the query tower when absent. */
  galleryText?: TextEncoder;
}

/** What a gallery rebuild started by a reload reports. */
export type GalleryChange = RebuildStatus;

export interface ReloadResult {
  changed: boolean;
  previous: (ModelVersion & { role: string })[];
  models: (ModelVersion & { role: string })[];
  /** Set when the models on disk embed products differently: the gallery rebuild they started. */
  galleryRebuild?: GalleryChange;
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
  /** Forwards to the current image tower. */
  readonly image: ImageEncoder;
  /** Forwards to the current gallery text tower. */
  readonly galleryText: TextEncoder;

  constructor(
    initial: QueryModels,
    private readonly open: () => Promise<QueryModels & { warmUp(): Promise<void> }>,
    private readonly onSwap: (models: QueryModels) => void = () => undefined,
    private readonly onGalleryChange?: (next: QueryModels) => Promise<GalleryChange>,
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
    const image = (): ImageEncoder => {
      if (!self.current.image) throw new Error('no image tower was given to the serving models');
      return self.current.image;
    };
    this.image = {
      get dim() {
        return image().dim;
      },
      encode: (images) => image().encode(images),
    };
    const galleryText = (): TextEncoder => self.current.galleryText ?? self.current.text;
    this.galleryText = {
      get dim() {
        return galleryText().dim;
      },
      encode: (texts) => galleryText().encode(texts),
    };
  }

  /** Installs models of another gallery at once (the gallery rebuild's switch); no check, no warm-up. */
  install(next: QueryModels): void {
    this.current = { ...next };
    this.onSwap(this.current);
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
    if (next.indexKey !== previous.indexKey && this.onGalleryChange) {
      await next.warmUp();
      const galleryRebuild = await this.onGalleryChange(next);
      return { changed: false, previous: previous.models, models: previous.models, galleryRebuild };
    }
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
    this.current = { ...previous, text: next.text, fusion: next.fusion, indexKey: next.indexKey, models: next.models };
    this.onSwap(this.current);
    return { changed: true, previous: previous.models, models: next.models };
  }
}
