import { parseEvalArgs, UsageError } from '../../../src/cli/eval';
import { textVariantOrder } from '../../../src/evaluation/encoder-variants';

describe('eval command arguments', () => {
  it('has defaults for everything but the set', () => {
    expect(parseEvalArgs(['--set', 'text'])).toEqual({
      sets: ['text'],
      variants: [],
      catalogDir: 'seed/demo',
      outDir: 'data/eval/report',
      modelsDir: 'models',
      dataDir: 'data/eval',
      runsDir: 'data/store/evaluations',
      limit: null,
      seed: 42,
      bootstrap: 1000,
      permutations: 10000,
      writeModelsReadme: false,
      readme: null,
      readmeSection: 'metrics',
    });
  });

  it('expands all and accepts every option', () => {
    const a = parseEvalArgs(['--set', 'all', '--catalog', 'data/catalog', '--out', 'o', '--limit', '50', '--seed', '7', '--write-models-readme']);
    expect(a.sets).toEqual(['text', 'image', 'composed', 'realshot', 'outfits', 'index']);
    expect(a).toMatchObject({ catalogDir: 'data/catalog', outDir: 'o', limit: 50, seed: 7, writeModelsReadme: true });
    expect(parseEvalArgs(['--set', 'text', '--variant', 'fashion-text-gru,fashion-text']).variants).toEqual(['fashion-text-gru', 'fashion-text']);
  });

  it('names the README section that --write-models-readme regenerates', () => {
    const a = parseEvalArgs(['--set', 'text', '--write-models-readme', '--readme-section', 'metrics-full-catalogue']);
    expect(a).toMatchObject({ writeModelsReadme: true, readmeSection: 'metrics-full-catalogue' });
  });

  it.each([
    [[], /name a set/],
    [['--set', 'shoes'], /unknown set "shoes"/],
    [['--set', 'text', '--limit', 'x'], /--limit needs an integer/],
    [['--set'], /--set needs a value/],
    [['--set', 'text', '--frobnicate'], /unknown option "--frobnicate"/],
    [['--set', 'text,composed', '--variant', 'sum'], /--variant applies to one set/],
    [['--set', 'text', '--write-models-readme', '--readme-section', 'Full Catalogue'], /--readme-section needs lower-case letters/],
    [['--set', 'text', '--readme-section', 'metrics-full-catalogue'], /--readme-section applies with --write-models-readme/],
  ])('%p is refused with a usage message', (argv, message) => {
    expect(() => parseEvalArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseEvalArgs(argv as string[])).toThrow(message);
  });

  it('orders the text variants GRU baseline first and the default last', () => {
    expect(textVariantOrder(['fashion-text-pretriplet', 'fashion-text-gru', 'fashion-text'])).toEqual(['fashion-text-gru', 'fashion-text-pretriplet', 'fashion-text']);
    expect(textVariantOrder(['other', 'fashion-text-gru', 'fashion-text'])).toEqual(['fashion-text-gru', 'other', 'fashion-text']);
  });
});
