// Passphrase rules the UI checks before asking the backend (which checks again).

export const MIN_PASSPHRASE = 12;

export type Strength = { level: 0 | 1 | 2 | 3 | 4; label: string };

/**
 * A rough strength hint: length times the size of the character classes used, minus
 * obvious repetition. It is a nudge, not a guarantee, and never blocks a valid passphrase.
 */
export function strength(p: string): Strength {
  if (p.length === 0) return { level: 0, label: '' };
  if (p.length < MIN_PASSPHRASE) {
    return { level: 0, label: `Too short: ${p.length} of at least ${MIN_PASSPHRASE} characters` };
  }
  let pool = 0;
  if (/[a-z]/.test(p)) pool += 26;
  if (/[A-Z]/.test(p)) pool += 26;
  if (/[0-9]/.test(p)) pool += 10;
  if (/[^A-Za-z0-9]/.test(p)) pool += 33;
  const distinct = new Set(p).size;
  const effectiveLen = Math.min(p.length, distinct * 3);
  const bits = effectiveLen * Math.log2(Math.max(pool, 2));
  if (bits < 55) return { level: 1, label: 'Weak: add more words or characters' };
  if (bits < 75) return { level: 2, label: 'Fair: a few more words would help' };
  if (bits < 100) return { level: 3, label: 'Good' };
  return { level: 4, label: 'Strong' };
}

/** The first problem with a new passphrase pair, or null when it may be sent. */
export function passphraseProblem(p: string, again: string): string | null {
  if (p.length < MIN_PASSPHRASE) return `Use at least ${MIN_PASSPHRASE} characters.`;
  if (p !== again) return 'The two passphrases do not match.';
  return null;
}
