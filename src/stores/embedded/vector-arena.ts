/**
 * Vectors of one space, packed by slot in WebAssembly memory, and exact inner-product scoring of
 * many slots at once with 128-bit SIMD (f32x4): the hot loop of exact search and re-scoring.
 *
 * Rows are padded to a multiple of 4 floats with zeros, so padding never changes a score. Scores
 * accumulate in float32 lanes (relative error around 1e-7, far below any meaningful score gap).
 * Where WebAssembly SIMD is unavailable the same layout is scored by a plain JavaScript loop.
 *
 * Memory layout: [query row | slot list (CHUNK x i32) | scores (CHUNK x f32) | vector rows ...].
 */

/** Slots scored per call into WebAssembly. */
const CHUNK = 4096;
const PAGE = 65536;

// ---- A tiny WebAssembly module, assembled here so that the build needs no toolchain. ----
const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s, 'utf8')];
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const [I32_ADD, I32_MUL, I32_SHL, I32_GE_S, F32_ADD] = [0x6a, 0x6c, 0x74, 0x4e, 0x92];
const [BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
const I32_LOAD = [0x28, 2, 0];
const F32_STORE = [0x38, 2, 0];
const V128_LOAD = [...simd(0x00), 4, 0];
const V128_ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const LANE = (l: number) => [...simd(0x1f), l];

/**
 * dots(q, base, slots, n, stride, out): for i in [0, n): out[i] = <row at q, row of slots[i]>,
 * where a slot's row starts at base + slot * stride (bytes, a multiple of 16).
 * Locals: 6 i, 7 row pointer, 8 byte offset j, 9 accumulator (v128).
 */
function dotsModule(): Uint8Array<ArrayBuffer> {
  const [Q, BASE, SLOTS, N, STRIDE, OUT, I, P, J, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const code = [
    ...i32(0), ...set(I),
    BLOCK, VOID, LOOP, VOID,
    ...get(I), ...get(N), I32_GE_S, BR_IF, 1,
    ...get(BASE), ...get(SLOTS), ...get(I), ...i32(2), I32_SHL, I32_ADD, ...I32_LOAD, ...get(STRIDE), I32_MUL, I32_ADD, ...set(P),
    ...V128_ZERO, ...set(ACC),
    ...i32(0), ...set(J),
    BLOCK, VOID, LOOP, VOID,
    ...get(J), ...get(STRIDE), I32_GE_S, BR_IF, 1,
    ...get(ACC), ...get(Q), ...get(J), I32_ADD, ...V128_LOAD, ...get(P), ...get(J), I32_ADD, ...V128_LOAD, ...F32X4_MUL, ...F32X4_ADD, ...set(ACC),
    ...get(J), ...i32(16), I32_ADD, ...set(J),
    BR, 0,
    END, END,
    ...get(OUT), ...get(I), ...i32(2), I32_SHL, I32_ADD,
    ...get(ACC), ...LANE(0), ...get(ACC), ...LANE(1), F32_ADD, ...get(ACC), ...LANE(2), ...get(ACC), ...LANE(3), F32_ADD, F32_ADD,
    ...F32_STORE,
    ...get(I), ...i32(1), I32_ADD, ...set(I),
    BR, 0,
    END, END,
    END,
  ];
  const body = [...vec([[3, I32], [1, V128]]), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('dots'), 0x00, 0]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = dotsModule();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

type Dots = (q: number, base: number, slots: number, n: number, stride: number, out: number) => void;

export class VectorArena {
  /** Row length in floats (dim rounded up to a multiple of 4). */
  readonly stride: number;
  private readonly memory: WebAssembly.Memory;
  private readonly dots: Dots | null;
  private readonly slotsAt: number;
  private readonly outAt: number;
  private readonly base: number;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private capacity = 0;

  constructor(
    readonly dim: number,
    options: { simd?: boolean } = {},
  ) {
    this.stride = Math.ceil(dim / 4) * 4;
    this.slotsAt = this.stride * 4;
    this.outAt = this.slotsAt + CHUNK * 4;
    this.base = this.outAt + CHUNK * 4;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.base / PAGE) + 1, maximum: 65536 });
    const mod = options.simd === false ? null : simdModule();
    this.dots = mod ? (new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports.dots as Dots) : null;
    this.refreshViews();
  }

  get usesSimd(): boolean {
    return this.dots !== null;
  }

  private refreshViews(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.capacity = Math.floor((this.memory.buffer.byteLength - this.base) / (this.stride * 4));
  }

  private ensure(slot: number): void {
    if (slot < this.capacity) return;
    const needBytes = this.base + (slot + 1) * this.stride * 4;
    const have = this.memory.buffer.byteLength;
    const target = Math.max(needBytes, Math.min(have * 2, have + 256 * 1024 * 1024));
    this.memory.grow(Math.ceil((target - have) / PAGE));
    this.refreshViews();
  }

  set(slot: number, v: Float32Array): void {
    this.ensure(slot);
    const at = (this.base >> 2) + slot * this.stride;
    this.f32.set(v, at);
    this.f32.fill(0, at + this.dim, at + this.stride);
  }

  get(slot: number): Float32Array {
    const at = (this.base >> 2) + slot * this.stride;
    return this.f32.slice(at, at + this.dim);
  }

  /** Scores every slot produced by `forEachSlot` against q and hands (slot, score) to `emit`. */
  scoreAll(q: Float32Array, forEachSlot: (visit: (slot: number) => void) => void, emit: (slot: number, score: number) => void): void {
    const f32 = this.f32;
    const i32 = this.i32;
    f32.set(q, 0);
    f32.fill(0, this.dim, this.stride);
    const slots0 = this.slotsAt >> 2;
    const out0 = this.outAt >> 2;
    let n = 0;
    const flush = () => {
      if (this.dots) this.dots(0, this.base, this.slotsAt, n, this.stride * 4, this.outAt);
      else this.scoreJs(n);
      for (let i = 0; i < n; i++) emit(i32[slots0 + i], f32[out0 + i]);
      n = 0;
    };
    forEachSlot((slot) => {
      i32[slots0 + n++] = slot;
      if (n === CHUNK) flush();
    });
    if (n > 0) flush();
  }

  private scoreJs(n: number): void {
    const f32 = this.f32;
    const stride = this.stride;
    const slots0 = this.slotsAt >> 2;
    const out0 = this.outAt >> 2;
    const base0 = this.base >> 2;
    for (let i = 0; i < n; i++) {
      const o = base0 + this.i32[slots0 + i] * stride;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < stride; j += 4) {
        s0 += f32[j] * f32[o + j];
        s1 += f32[j + 1] * f32[o + j + 1];
        s2 += f32[j + 2] * f32[o + j + 2];
        s3 += f32[j + 3] * f32[o + j + 3];
      }
      f32[out0 + i] = s0 + s1 + s2 + s3;
    }
  }
}
