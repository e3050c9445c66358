import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseLexiconArgs, runLexicon, UsageError } from '../../../src/cli/lexicon';
import { Lexicon } from '../../../src/query/lexicon';

describe('npm run lexicon', () => {
  it('needs --products and refuses unknown options', () => {
    expect(() => parseLexiconArgs([])).toThrow(UsageError);
    expect(() => parseLexiconArgs(['--products', 'p.jsonl', '--frobnicate'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseLexiconArgs(['--products'])).toThrow(/--products needs a value/);
    expect(parseLexiconArgs(['--products', 'p.jsonl', '--vectors', 'none']).vectors).toBeNull();
  });

  it('builds the lexicon from one split of a products file, and says what is wrong with a bad line', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lexicon-cli-'));
    const lines: string[] = [];
    for (const colour of ['red', 'navy', 'black', 'white']) {
      for (let i = 0; i < 3; i++) {
        lines.push(JSON.stringify({ split: 'train', title: `${colour} kicks`, description: 'A weekend favourite.', brand: 'Acme', attributes: { category: ['sneaker'], color: [colour] } }));
        lines.push(JSON.stringify({ split: 'train', title: `${colour} sneakers`, description: 'For the weekend.', brand: 'Acme', attributes: { category: ['sneaker'], color: [colour] } }));
        lines.push(JSON.stringify({ split: 'test', title: `${colour} trainers`, description: '', brand: 'Acme', attributes: { category: ['sneaker'], color: [colour] } }));
      }
    }
    const products = path.join(dir, 'products.jsonl');
    await fs.writeFile(products, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'models', 'fashion-lexicon');
    const file = await runLexicon({ ...parseLexiconArgs(['--products', products, '--split', 'train', '--vectors', 'none', '--out', out]) }, () => undefined);
    const lexicon = await Lexicon.load(path.join(dir, 'models'));
    expect(file).toBe(path.join(out, 'lexicon.json'));
    expect(lexicon.file!.source.products).toBe(24);
    expect(lexicon.phrases.map((p) => `${p.text}->${p.value}`)).toContain('kicks->sneaker');
    // the test split's words were not read
    expect(lexicon.terms.has('trainers')).toBe(false);

    await fs.writeFile(products, '{"title": "ok", "attributes": {}}\nnot json\n');
    await expect(runLexicon(parseLexiconArgs(['--products', products, '--vectors', 'none', '--out', out]), () => undefined)).rejects.toThrow(/products.jsonl:2: not valid JSON/);
    await fs.rm(dir, { recursive: true });
  });
});
