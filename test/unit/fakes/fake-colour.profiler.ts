/**
 * A colour profiler for tests: reads the colour of a fake picture (fake-encoders.ts `fakeImage`) from
 * its words `shade<colour>` or `tint<colour>` (colour one of navy, blue, red, white, black, green; one
 * word per colour, equal shares); pictures without
 * such a word get no profile, as an unreadable picture would.
 */
import type { ProductColours } from '../../../src/domain/product';
import type { ColourProfiler } from '../../../src/vision/colour/colour-profiler';

const FAMILIES: Record<string, string> = { navy: 'blue', blue: 'blue', red: 'red', white: 'white', black: 'black', green: 'green' };

export class FakeColourProfiler implements ColourProfiler {
  readonly calls: number[] = [];

  async profile(images: readonly Buffer[]): Promise<(ProductColours | null)[]> {
    this.calls.push(images.length);
    return images.map((image) => {
      const names = [...image.toString('latin1').matchAll(/\b(?:shade|tint)(navy|blue|red|white|black|green)/g)].map((m) => m[1]);
      if (!names.length) return null;
      const share = 1 / names.length;
      return {
        histogram: names.map((name) => ({ name, share })),
        dominant: names[0],
        family: FAMILIES[names[0]] ?? names[0],
        confidence: share,
        probabilities: names.map((name) => ({ name, probability: share })),
      };
    });
  }

  async close(): Promise<void> {}
}
