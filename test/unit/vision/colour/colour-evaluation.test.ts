import { accuracy, colourTables, scoreColourPredictions, type ColourPrediction } from '../../../../src/vision/colour/colour-evaluation';

const prediction = (truth: string, predicted: string, group?: string, ms = 10): ColourPrediction => {
  const family = (c: string) => ({ navy: 'blue', blue: 'blue', red: 'red', burgundy: 'red', white: 'neutral' })[c] ?? c;
  return { truth, truthFamily: family(truth), predicted, predictedFamily: family(predicted), ms, group };
};

describe('accuracy', () => {
  it('gives the share correct with its 95% Wilson interval', () => {
    const a = accuracy(8, 10);
    expect(a).toMatchObject({ n: 10, correct: 8, accuracy: 0.8 });
    expect(a.low).toBeCloseTo(0.4902, 3);
    expect(a.high).toBeCloseTo(0.9433, 3);
  });

  it('keeps the interval inside 0..1 and is 0 for no items', () => {
    const all = accuracy(20, 20);
    expect(all.accuracy).toBe(1);
    expect(all.high).toBeLessThanOrEqual(1);
    expect(all.low).toBeGreaterThan(0.8);
    expect(accuracy(0, 5).low).toBe(0);
    expect(accuracy(0, 0)).toEqual({ n: 0, correct: 0, accuracy: 0, low: 0, high: 0 });
  });
});

describe('scoreColourPredictions', () => {
  const predictions = [
    prediction('navy', 'navy', 'solid', 10),
    prediction('navy', 'blue', 'stripes', 20),
    prediction('navy', 'blue', 'solid', 30),
    prediction('red', 'burgundy', 'solid', 40),
    prediction('red', 'red', undefined, 50),
  ];
  const scores = scoreColourPredictions(predictions);

  it('scores colour and family accuracy', () => {
    expect(scores.n).toBe(5);
    expect(scores.colour).toMatchObject({ correct: 2, accuracy: 0.4 });
    expect(scores.family).toMatchObject({ correct: 5, accuracy: 1 });
  });

  it('lists confusions, commonest first', () => {
    expect(scores.confusions).toEqual([
      { truth: 'navy', predicted: 'blue', count: 2 },
      { truth: 'red', predicted: 'burgundy', count: 1 },
    ]);
  });

  it('scores each group, largest first, leaving out items without one', () => {
    expect(scores.groups.map((g) => [g.group, g.colour.n, g.colour.correct])).toEqual([
      ['solid', 3, 1],
      ['stripes', 1, 0],
    ]);
  });

  it('gives the mean and 95th percentile time', () => {
    expect(scores.meanMs).toBe(30);
    expect(scores.p95Ms).toBe(40);
    expect(scoreColourPredictions([])).toMatchObject({ n: 0, meanMs: 0, p95Ms: 0, confusions: [], groups: [] });
  });
});

describe('colourTables', () => {
  it('writes a markdown table per set, the accuracy by pattern (groups of a size by name) and the commonest errors', () => {
    const scores = scoreColourPredictions([prediction('navy', 'navy', 'solid'), prediction('navy', 'blue', 'checks')]);
    const md = colourTables([{ set: 'synthetic', description: 'made-up photos', scores }], { title: 'Test split', footnote: 'made in a test', confusions: 3 });
    const lines = md.split('\n');
    expect(lines[0]).toBe('#### Test split');
    expect(md).toContain('| synthetic: made-up photos | 2 | 50.0% [');
    expect(md).toContain('| set | checks | solid |');
    expect(md).toContain('| synthetic | 0.0% (1) | 100.0% (1) |');
    expect(md).toContain('- synthetic: navy -> blue (1)');
    expect(lines[lines.length - 1]).toBe('_made in a test_');
  });

  it('says none when a set has no errors', () => {
    const scores = scoreColourPredictions([prediction('red', 'red')]);
    expect(colourTables([{ set: 'clean', description: 'all right', scores }], { title: 't', footnote: 'f' })).toContain('- clean: none');
  });
});
