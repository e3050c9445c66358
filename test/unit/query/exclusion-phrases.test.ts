import { negationScopes } from '../../../src/query/exclusion-phrases';
import { tokenize } from '../../../src/query/text-analyzer';

/** The cue and scope words of each negation in a query, as text. */
function scopes(query: string): [string, string][] {
  const tokens = tokenize(query);
  const words = ([a, b]: [number, number]) => tokens.slice(a, b).map((t) => t.text).join(' ');
  return negationScopes(tokens, query).map((s) => [words(s.cue), words(s.scope)]);
}

describe('negationScopes', () => {
  test.each<[string, [string, string][]]>([
    ['shirt but not red', [['but not', 'red']]],
    ['dress without stripes', [['without', 'stripes']]],
    ['no leather boots', [['no', 'leather boots']]],
    ['anything but black', [['anything but', 'black']]],
    ['sneakers other than white', [['other than', 'white']]],
    ['bags excluding brown', [['excluding', 'brown']]],
    ['non-leather jacket', [['non', 'leather']]],
    ['non leather jacket', [['non', 'leather']]],
    ["don't want pink", [['dont want', 'pink']]],
    ['dont want pink dresses', [['dont want', 'pink dresses']]],
    ['i do not like red', [['do not like', 'red']]],
    ["I don't want to see yellow", [['dont want to see', 'yellow']]],
    ['jeans, not blue', [['not', 'blue']]],
    ['nothing in red', [['nothing', 'in red']]],
    ['avoid yellow', [['avoid', 'yellow']]],
    ['except navy', [['except', 'navy']]],
    ['red dress, no stripes, size 38', [['no', 'stripes']]],
    ['not red or blue', [['not', 'red or blue']]],
    ['no stripes but with pockets', [['no', 'stripes']]],
    ['no red and i want blue', [['no', 'red']]],
    ['without hood and with pockets', [['without', 'hood']]],
    ['neither red nor blue', [['neither', 'red'], ['nor', 'blue']]],
    ['blue rather than black', [['rather than', 'black']]],
    ['boots instead of sneakers', [['instead of', 'sneakers']]],
    ['any colour but red', [['but', 'red']]],
    ['leather-free bag', [['free', 'leather']]],
    ['cruelty-free vegan-leather bag', [['free', 'cruelty']]],
    ['dress without stripes (not red)', [['without', 'stripes'], ['not', 'red']]],
    ['blue shirt minus the logo', [['minus', 'the logo']]],
    ['top, isn’t cropped', [['isnt', 'cropped']]],
    ['shirt not', [['not', '']]],
    ['not, red', [['not', '']]],
  ])('%j', (query, expected) => {
    expect(scopes(query)).toEqual(expected);
  });

  test.each([
    'knot top',
    'notebook bag',
    'no. 5 perfume',
    'no 5 perfume',
    'no-show socks',
    'nothing but black',
    'not only black',
    'no more than 50',
    'not over 100 euros',
    'black jeans but blue shirt',
    'nonstop party dress',
    'free shipping dress',
    '',
  ])('%j has no negation', (query) => {
    expect(negationScopes(tokenize(query), query)).toEqual([]);
  });

  test('ranges are token indices, end exclusive, in text order', () => {
    const query = 'leather-free shirt, not red';
    expect(negationScopes(tokenize(query), query)).toEqual([
      { cue: [1, 2], scope: [0, 1] },
      { cue: [3, 4], scope: [4, 5] },
    ]);
  });
});
