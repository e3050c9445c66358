import { parseEvalArgs, SPLIT_DEFAULTS, USAGE, UsageError } from '../../../src/cli/eval';
import { textVariantOrder } from '../../../src/evaluation/encoder-variants';

describe('eval command arguments', () => {
  it('has defaults for everything but the set', () => {
    expect(parseEvalArgs(['--set', 'text'])).toEqual({
      sets: ['text'],
      split: 'test',
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
    expect(a.sets).toEqual(['text', 'image', 'composed', 'composed-meaning', 'realshot', 'realshot-indist', 'outfits', 'index']);
    expect(a).toMatchObject({ catalogDir: 'data/catalog', outDir: 'o', limit: 50, seed: 7, writeModelsReadme: true });
    expect(parseEvalArgs(['--set', 'text', '--variant', 'fashion-text-gru,fashion-text']).variants).toEqual(['fashion-text-gru', 'fashion-text']);
  });

  it('names the README section that --write-models-readme regenerates', () => {
    const a = parseEvalArgs(['--set', 'text', '--write-models-readme', '--readme-section', 'metrics-full-catalogue']);
    expect(a).toMatchObject({ writeModelsReadme: true, readmeSection: 'metrics-full-catalogue' });
  });

  it('takes the catalogue, report folder and README section from the split unless named', () => {
    expect(parseEvalArgs(['--set', 'text', '--split', 'validation'])).toMatchObject({
      split: 'validation',
      catalogDir: 'data/validation',
      outDir: 'data/eval/report-validation',
      readmeSection: 'metrics-validation',
    });
    expect(parseEvalArgs(['--split', 'test', '--set', 'text'])).toMatchObject({ split: 'test', catalogDir: 'seed/demo', outDir: 'data/eval/report', readmeSection: 'metrics' });
    // named options win, whatever their order around --split
    const named = parseEvalArgs(['--catalog', 'data/catalog', '--set', 'text', '--write-models-readme', '--readme-section', 'metrics-full-validation', '--split', 'validation', '--out', 'o']);
    expect(named).toMatchObject({ split: 'validation', catalogDir: 'data/catalog', outDir: 'o', readmeSection: 'metrics-full-validation' });
    expect(Object.keys(SPLIT_DEFAULTS).sort()).toEqual(['test', 'validation']);
  });

  it('lists the splits and every set in its usage line', () => {
    expect(USAGE).toContain('--set <text|image|composed|composed-meaning|realshot|realshot-indist|outfits|index|all>');
    expect(USAGE).toContain('[--split validation|test]');
    expect(() => parseEvalArgs(['--help'])).toThrow(USAGE);
  });

  it.each([
    [[], /name a set/],
    [['--set', 'text', '--split', 'train'], /--split: split "train" cannot be evaluated: the train split has no evaluation sets.*choose validation or test/],
    [['--set', 'text', '--split', 'dev'], /--split: split "dev" cannot be evaluated; choose validation or test/],
    [['--set', 'text', '--split'], /--split needs a value/],
    [['--set', 'text', '--split', 'validation', '--readme-section', 'metrics-validation'], /--readme-section applies with --write-models-readme/],
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
