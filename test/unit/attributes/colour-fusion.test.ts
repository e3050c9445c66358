import { fuseColour, withPictureColours } from '../../../src/attributes/colour-fusion';
import type { ProductColours } from '../../../src/domain/product';

const labels = ['navy', 'blue', 'red'];
const profile = (probabilities: { name: string; probability: number }[]): ProductColours => ({
  histogram: [{ name: probabilities[0].name, share: 1 }],
  dominant: probabilities[0].name,
  family: 'x',
  confidence: probabilities[0].probability,
  probabilities,
});

describe('colour of a picture from the colour head and the colour profile', () => {
  const head = Float32Array.from([0.2, 0.7, 0.1]);

  it('mixes the two by the weight, the profile renormalised over the colours the model knows', () => {
    const fused = fuseColour(head, labels, profile([{ name: 'navy', probability: 0.6 }, { name: 'teal', probability: 0.2 }, { name: 'blue', probability: 0.2 }]), 0.5);
    // the profile over known colours: navy 0.75, blue 0.25
    expect(Array.from(fused).map((x) => +x.toFixed(4))).toEqual([0.475, 0.475, 0.05]);
    expect(fused.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Array.from(fuseColour(head, labels, profile([{ name: 'navy', probability: 1 }]), 1))).toEqual([1, 0, 0]);
  });

  it('keeps the head alone without a profile, at weight 0, or when the profile names no colour the model knows', () => {
    expect(fuseColour(head, labels, undefined)).toBe(head);
    expect(fuseColour(head, labels, profile([{ name: 'navy', probability: 1 }]), 0)).toBe(head);
    expect(fuseColour(head, labels, profile([{ name: 'teal', probability: 1 }]), 0.5)).toBe(head);
  });

  it('changes only the colour attribute of the model\'s probabilities', () => {
    const category = Float32Array.from([0.9, 0.1]);
    const out = withPictureColours({ color: head, category }, { color: labels, category: ['a', 'b'] }, profile([{ name: 'red', probability: 1 }]), 0.5);
    expect(out.category).toBe(category);
    expect(out.color[2]).toBeCloseTo(0.55, 5);
  });
});
