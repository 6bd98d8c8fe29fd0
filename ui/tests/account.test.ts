import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import { boot } from './helpers';

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('my account', () => {
  it('changes the passphrase', async () => {
    const { backend } = await boot({ as: 'ari', hash: '#/account' });
    await fill('pw-current', 'ari-demo-passphrase');
    await fill('pw-new', 'a much longer new passphrase');
    await fill('pw-new2', 'a much longer new passphrase');
    await fireEvent.click(screen.getByTestId('pw-submit'));
    const result = await screen.findByTestId('pw-result');
    await waitFor(() => expect(result.getAttribute('data-ok')).toBe('true'));
    expect(backend.calls.find((c) => c.cmd === 'change_passphrase')!.args).toEqual({
      current: 'ari-demo-passphrase',
      next: 'a much longer new passphrase',
    });
  });

  it('shows a wrong current passphrase as an error', async () => {
    await boot({ as: 'ari', hash: '#/account' });
    await fill('pw-current', 'not my passphrase');
    await fill('pw-new', 'a much longer new passphrase');
    await fill('pw-new2', 'a much longer new passphrase');
    await fireEvent.click(screen.getByTestId('pw-submit'));
    const result = await screen.findByTestId('pw-result');
    expect(result.getAttribute('data-ok')).toBe('false');
    expect(result.textContent).toContain('The current passphrase was not recognised.');
  });

  it('enrols TOTP: secret in groups of 4, URI as text, then a code', async () => {
    const { backend } = await boot({ as: 'rui', hash: '#/account' });
    await fireEvent.click(screen.getByTestId('totp-begin'));
    const secret = await screen.findByTestId('totp-secret');
    const raw = secret.getAttribute('data-secret')!;
    expect(raw).toMatch(/^[A-Z2-7]{32}$/);
    expect(secret.textContent!.trim()).toBe(raw.match(/.{4}/g)!.join(' '));
    expect(screen.getByTestId('totp-uri').textContent).toContain(`secret=${raw}`);
    await fill('totp-code', MockBackend.TOTP_CODE);
    await fireEvent.click(screen.getByTestId('totp-confirm'));
    await screen.findByTestId('totp-result');
    expect(backend.vault!.users.find((u) => u.name === 'rui')!.totpEnabled).toBe(true);
    expect(screen.getByTestId('totp-disable')).toBeTruthy();
  });
});
