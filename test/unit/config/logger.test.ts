/** The logger: one JSON object per line, levels, and keys never written. */
import { generateApiKey } from '../../../src/auth/api-key';
import { createLogger, redactKeys } from '../../../src/config/logger';

describe('createLogger', () => {
  it('writes one JSON object per line at or above its level', () => {
    const lines: string[] = [];
    const logger = createLogger('warn', (l) => lines.push(l));
    logger.info('hidden');
    logger.warn('shown', { n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'shown', n: 1 });
  });

  it('redacts anything shaped like an API key, in messages and fields', () => {
    const { key } = generateApiKey();
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    logger.error(`bad key ${key}`, { header: `Bearer ${key}`, nested: { list: [key] } });
    expect(lines.join('')).not.toContain(key);
    expect(lines.join('')).not.toContain(key.slice(4));
    const parsed = JSON.parse(lines[0]);
    expect(parsed.msg).toBe('bad key fsk_[redacted]');
    expect(parsed.header).toBe('Bearer fsk_[redacted]');
    expect(parsed.nested.list).toEqual(['fsk_[redacted]']);
    expect(redactKeys('nothing to hide')).toBe('nothing to hide');
  });
});
