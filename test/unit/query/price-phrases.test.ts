import { parsePrice, type PricePhrase } from '../../../src/query/price-phrases';
import { tokenize } from '../../../src/query/text-analyzer';

/** The parsed bounds and currency, and the phrase's words as text. */
function price(query: string): (Omit<PricePhrase, 'tokens'> & { words: string }) | null {
  const tokens = tokenize(query);
  const phrase = parsePrice(tokens, query);
  if (!phrase) return null;
  const { tokens: range, ...rest } = phrase;
  return { ...rest, words: tokens.slice(range[0], range[1]).map((t) => t.text).join(' ') };
}

const at = (max: number, currency: string | null, words: string) => ({ min: null, max, currency, words });
const from = (min: number, currency: string | null, words: string) => ({ min, max: null, currency, words });
const between = (min: number, max: number, currency: string | null, words: string) => ({ min, max, currency, words });

describe('parsePrice', () => {
  test.each([
    ['dress under 50', at(50, null, 'under 50')],
    ['shirts below 30', at(30, null, 'below 30')],
    ['jeans less than 50', at(50, null, 'less than 50')],
    ['boots cheaper than 120', at(120, null, 'cheaper than 120')],
    ['bag up to 80', at(80, null, 'up to 80')],
    ['coat max 200', at(200, null, 'max 200')],
    ['coat at most 200', at(200, null, 'at most 200')],
    ['sneakers no more than 50', at(50, null, 'no more than 50')],
    ['shirt 50 or less', at(50, null, '50 or less')],
    ['shirt 50 or under', at(50, null, '50 or under')],
    ['dress for less than €50', at(50, 'EUR', 'for less than 50')],
    ['price under $40', at(40, 'USD', 'price under 40')],
    ['shoes under 50 euros', at(50, 'EUR', 'under 50 euros')],
    ['scarf below 25£', at(25, 'GBP', 'below 25')],
    ['blouse under 19.99', at(19.99, null, 'under 19 99')],
    ['blouse under 19,99 €', at(19.99, 'EUR', 'under 19 99')],
    ['watch under 1,000 usd', at(1000, 'USD', 'under 1 000 usd')],
    ['under 50eur', at(50, 'EUR', 'under 50eur')],
    ['under eur50', at(50, 'EUR', 'under eur50')],
    ['under eur 50', at(50, 'EUR', 'under eur 50')],
    ['<50 dress', at(50, null, '50')],
    ['€50 dress', at(50, 'EUR', '50')],
    ['jeans 40 pounds', at(40, 'GBP', '40 pounds')],
    ['coat over 100', from(100, null, 'over 100')],
    ['coat above 100', from(100, null, 'above 100')],
    ['coat more than 100', from(100, null, 'more than 100')],
    ['coat at least 100', from(100, null, 'at least 100')],
    ['coat from 100', from(100, null, 'from 100')],
    ['coat 100 or more', from(100, null, '100 or more')],
    ['coat 100+', from(100, null, '100')],
    ['coat €100+', from(100, 'EUR', '100')],
    ['coat 100 and up', from(100, null, '100 and up')],
    ['dress between 20 and 40', between(20, 40, null, 'between 20 and 40')],
    ['dress 20-40', between(20, 40, null, '20 40')],
    ['dress 20 - 40', between(20, 40, null, '20 40')],
    ['dress 20–40', between(20, 40, null, '20 40')],
    ['dress 20 to 40', between(20, 40, null, '20 to 40')],
    ['dress from 20 to 40', between(20, 40, null, 'from 20 to 40')],
    ['dress €20-€40', between(20, 40, 'EUR', '20 40')],
    ['dress 20€-40€', between(20, 40, 'EUR', '20 40')],
    ['dress between $40 and $20', between(20, 40, 'USD', 'between 40 and 20')],
    ['dress around 50', between(40, 60, null, 'around 50')],
    ['dress about 50 euros', between(40, 60, 'EUR', 'about 50 euros')],
    ['dress approximately 45', between(36, 54, null, 'approximately 45')],
    ['dress over 20 and under 50', between(20, 50, null, 'over 20 and under 50')],
    ['dress under 50, over 20', between(20, 50, null, 'under 50 over 20')],
    ['size 38 jeans under 60', at(60, null, 'under 60')],
    ['boots not over 100 euros', at(100, 'EUR', 'not over 100 euros')],
    ['bag 60 max', at(60, null, '60 max')],
    ['dress ~50', between(40, 60, null, '50')],
    ['coat >= 150', from(150, null, '150')],
  ])('%j', (query, expected) => {
    expect(price(query)).toEqual(expected);
  });

  test.each([
    'size 38',
    'eu 40 boots',
    '2 pack socks',
    '501 jeans',
    'TE00017-2',
    '2-pack tee',
    'size under 40',
    'under 5 cm heel',
    'over 2 years warranty',
    'under 50% cotton',
    'over-the-knee boots',
    'no 5 perfume',
    'size 36-38',
    'waist 30-32 jeans',
    '3 to 5 years',
    'red dress',
    '',
  ])('%j is not a price', (query) => {
    expect(price(query)).toBeNull();
  });

  test('the token range covers the phrase, end exclusive', () => {
    const query = 'black boots for under €80 please';
    expect(parsePrice(tokenize(query), query)).toEqual({ min: null, max: 80, currency: 'EUR', tokens: [2, 5] });
  });
});
