import { cleanFreeText, identifierProblem } from '../../../src/domain/input-text';

describe('cleanFreeText', () => {
  it.each([
    ['plain text', 'red dress', 'red dress'],
    ['NUL and other C0 controls dropped', 'red\u0000 dr\u0007ess\u001b', 'red dress'],
    ['DEL and C1 controls dropped', 'red\u007f dress\u0090\u009f', 'red dress'],
    ['tabs and line breaks become spaces', 'red\tdress\r\nfor\nwork\u000bnow\u000c', 'red dress for work now '],
    ['next line (U+0085) becomes a space', 'red\u0085dress', 'red dress'],
    ['unpaired surrogates become U+FFFD', 'a\ud800b\udc00c', 'a\ufffdb\ufffdc'],
    ['paired surrogates stay', 'shoe \ud83d\udc5f', 'shoe \ud83d\udc5f'],
    ['letters beyond Latin-1 stay', 'Größe 42 – 東京', 'Größe 42 – 東京'],
  ])('%s', (_name, input, expected) => {
    expect(cleanFreeText(input)).toBe(expected);
  });

  it('keeps line breaks and tabs when asked, normalising CR LF', () => {
    expect(cleanFreeText('one\r\ntwo\rthree\tfour\u0000\u000b', { keepLineBreaks: true })).toBe('one\ntwo\nthree\tfour');
  });
});

describe('identifierProblem', () => {
  it.each(['p-123', 'Größe', 'T-shirt/top', 'shoe \ud83d\udc5f'])('accepts %j', (value) => {
    expect(identifierProblem(value)).toBeNull();
  });
  it.each([
    ['x\u0000', /control character/],
    ['x\ty', /control character/],
    ['x\u007f', /control character/],
    ['x\u0085', /control character/],
    ['\ud800x', /unpaired UTF-16 surrogate/],
    ['x\udfff', /unpaired UTF-16 surrogate/],
  ])('refuses %j', (value, why) => {
    expect(identifierProblem(value)).toMatch(why);
  });
});
