/**
 * A small structured logger writing one JSON object per line to stderr. Each line carries the
 * fields of the current log context (the request id while a request is served, see
 * log-context.ts). Anything shaped like an API key is replaced by `fsk_[redacted]` before a line is
 * written, so a key pasted into a message or a field never reaches the logs.
 */
import { API_KEY_PATTERN } from '../auth/api-key';
import type { LogLevel } from './config';
import { currentLogContext } from './log-context';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...currentLogContext(), ...fields });
    write(`${redactKeys(line)}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The text with every API key replaced by `fsk_[redacted]`. */
export function redactKeys(text: string): string {
  return text.includes('fsk_') ? text.replace(API_KEY_PATTERN, 'fsk_[redacted]') : text;
}
