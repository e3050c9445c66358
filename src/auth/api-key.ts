/**
 * The API key format and its hashing.
 *
 * A key reads `fsk_<id>_<secret>`: `id` is 16 hex digits (8 random bytes) naming the stored record,
 * `secret` is 32 random bytes in base64url (43 characters). Only a salted SHA-256 of the secret is
 * stored. A fast hash is enough here, and better than a slow one: a slow key-derivation function
 * (scrypt, argon2) protects low-entropy secrets such as passwords by making each guess expensive,
 * but a 256-bit random secret cannot be guessed at any speed (2^255 tries on average), so slowing
 * each try gains nothing, while an scrypt call of tens of milliseconds per request would let anyone
 * with garbage keys occupy the event loop. The per-key salt keeps equal secrets (there are none in
 * practice) from having equal hashes and rules out precomputed tables.
 *
 * The `fsk_` prefix makes keys easy to recognise: the logger redacts anything that looks like one.
 */
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'fsk_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
export const SALT_BYTES = 16;

/** Matches keys anywhere in a text (global: use with replace). */
export const API_KEY_PATTERN = /fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;
const WHOLE_KEY = /^fsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function generateApiKey(): ParsedApiKey & { key: string } {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, secret, key: `${API_KEY_PREFIX}${id}_${secret}` };
}

/** The parts of a well-formed key, or null. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const m = WHOLE_KEY.exec(key);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** SHA-256 of salt || secret: 32 bytes. */
export function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}
