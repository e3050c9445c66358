import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ColourNames, colourDictionary, foldName, loadColourDictionary } from '../../../src/query/colour-names';
import { Lexicon, LEXICON_FORMAT } from '../../../src/query/lexicon';

describe('colour names', () => {
  it('folds names the way query words are folded', () => {
    expect(foldName('Café Crème')).toBe('cafe creme');
    expect(foldName('Blue-Green')).toBe('blue green');
  });

  it('keeps the first definition of a folded name', () => {
    const d = colourDictionary([
      { name: 'Crimson', hex: '#dc143c' },
      { name: 'crimson', hex: '#8c000f' },
    ]);
    expect(d.get('crimson')).toBe('#dc143c');
  });

  it('loads CSS names first, then color-name-list: crimson is the CSS crimson', () => {
    const d = loadColourDictionary();
    expect(d.size).toBeGreaterThan(25_000);
    expect(d.get('crimson')).toBe('#dc143c');
    expect(d.get('powder blue')).toBe('#b0e0e6');
  });

  it('maps a name to the perceptually nearest catalogue colour, with the runner-up', () => {
    const names = new ColourNames(colourDictionary([{ name: 'Crimson', hex: '#dc143c' }, { name: 'Navy', hex: '#000080' }]), ['red', 'burgundy', 'navy'], new Map<string, [number, number, number]>([
      ['red', [207, 32, 40]],
      ['burgundy', [112, 22, 44]],
    ]));
    const m = names.match('crimson')!;
    expect(m.value).toBe('red');
    expect(m.runnerUp!.value).toBe('burgundy');
    expect(m.runnerUp!.deltaE).toBeGreaterThan(m.deltaE);
    expect(m.third!.value).toBe('navy');
    expect(m.third!.deltaE).toBeGreaterThan(m.runnerUp!.deltaE);
    // "navy" has no anchor from the images: the dictionary's own navy places it
    expect(names.values).toEqual(['red', 'burgundy', 'navy']);
    expect(names.match('unknown colour')).toBeNull();
  });
});

describe('Lexicon', () => {
  it('is empty when the models folder has none, and refuses another format', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lexicon-'));
    expect((await Lexicon.load(dir)).isEmpty).toBe(true);
    await fs.mkdir(path.join(dir, 'fashion-lexicon'));
    await fs.writeFile(path.join(dir, 'fashion-lexicon', 'lexicon.json'), JSON.stringify({ format: 'other/9' }));
    await expect(Lexicon.load(dir)).rejects.toThrow(/unknown lexicon format "other\/9".*npm run lexicon/);
    await fs.writeFile(
      path.join(dir, 'fashion-lexicon', 'lexicon.json'),
      JSON.stringify({ format: LEXICON_FORMAT, source: {}, terms: { navy: 2 }, phrases: [], colourAnchors: {}, vectors: { slacks: [['category', 'trousers', 0.8, 0.1]] }, englishWords: 'the slacks' }),
    );
    const lexicon = await Lexicon.load(dir);
    expect(lexicon.terms.get('navy')).toBe(2);
    expect(lexicon.englishRankOf('slacks')).toBe(2);
    expect(lexicon.neighbours('slacks')).toEqual([['category', 'trousers', 0.8, 0.1]]);
    expect(lexicon.neighbours('nothing')).toEqual([]);
    await fs.rm(dir, { recursive: true });
  });
});
