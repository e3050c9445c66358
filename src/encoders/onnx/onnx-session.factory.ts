import * as ort from 'onnxruntime-node';

export interface OnnxSessionOptions {
  /** Threads used inside one operator (default 2). */
  intraOpThreads?: number;
}

export interface TensorInfo {
  name: string;
  type: string | null;
  shape: readonly (number | string)[] | null;
}

/** A loaded ONNX model: one `run` per batch, with the graph's declared inputs and outputs. */
export interface ModelSession {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** Opens ONNX model files. */
export interface SessionFactory {
  create(file: string): Promise<ModelSession>;
}

/** Creates CPU inference sessions over onnxruntime-node. */
export class OnnxSessionFactory implements SessionFactory {
  private readonly intraOpThreads: number;

  constructor(options: OnnxSessionOptions = {}) {
    const n = options.intraOpThreads ?? 2;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`intraOpThreads must be a positive integer (got ${n})`);
    this.intraOpThreads = n;
  }

  async create(file: string): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: this.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const describe = (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] =>
      meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: null, shape: null }));
    return {
      inputs: describe(session.inputMetadata),
      outputs: describe(session.outputMetadata),
      run: async (feeds) => (await session.run(feeds)) as Record<string, ort.Tensor>,
      release: () => session.release(),
    };
  }
}

export { ort };
