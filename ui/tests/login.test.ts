import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import { boot, passphraseOf } from './helpers';

function fill(testid: string, value: string) {
  const el = screen.getByTestId(testid) as HTMLInputElement;
  return fireEvent.input(el, { target: { value } });
}

describe('login', () => {
  it('shows the backend message and selects the passphrase on bad credentials', async () => {
    const { backend } = await boot();
    await fill('login-user', 'lena');
    await fill('login-passphrase', 'wrong passphrase');
    await fireEvent.click(screen.getByTestId('login-submit'));

    const err = await screen.findByTestId('login-error');
    expect(err.textContent).toContain('User name or passphrase not recognised.');
    expect(err.closest('[role="alert"]')).not.toBeNull();

    const pass = screen.getByTestId('login-passphrase') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(pass));
    expect(pass.selectionStart).toBe(0);
    expect(pass.selectionEnd).toBe('wrong passphrase'.length);
    expect(backend.calls.filter((c) => c.cmd === 'login')).toEqual([
      { cmd: 'login', args: { userName: 'lena', passphrase: 'wrong passphrase', totpCode: null } },
    ]);
    // Still on the login screen.
    expect(screen.queryByTestId('role-badge')).toBeNull();
  });

  it('shows "Unlocking…" while waiting, then the shell with the role badge', async () => {
    await boot({ mock: { loginLatencyMs: 80 } });
    await fill('login-user', 'ari');
    await fill('login-passphrase', passphraseOf('ari'));
    await fireEvent.click(screen.getByTestId('login-submit'));
    expect(screen.getByText('Unlocking…')).toBeTruthy();
    const badge = await screen.findByTestId('role-badge');
    expect(badge.textContent?.trim()).toBe('annotator');
    expect(screen.getByTestId('offline-badge').textContent).toContain('Offline');
    expect(window.location.hash).toBe('#/home');
  });

  it('asks for the TOTP code only after totp_required', async () => {
    const { backend } = await boot();
    const lena = backend.vault!.users.find((u) => u.name === 'lena')!;
    lena.totpEnabled = true;
    expect(screen.queryByTestId('login-totp')).toBeNull();

    await fill('login-user', 'lena');
    await fill('login-passphrase', passphraseOf('lena'));
    await fireEvent.click(screen.getByTestId('login-submit'));
    const totp = await screen.findByTestId('login-totp');
    expect(screen.queryByTestId('login-error')).toBeNull();

    await fireEvent.input(totp, { target: { value: MockBackend.TOTP_CODE } });
    await fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('role-badge');
    expect(backend.calls.filter((c) => c.cmd === 'login').map((c) => c.args?.totpCode)).toEqual([
      null,
      MockBackend.TOTP_CODE,
    ]);
  });

  it('shows the locked-account message', async () => {
    const { backend } = await boot();
    backend.vault!.users.find((u) => u.name === 'rui')!.lockedUntil = Date.now() + 600_000;
    await fill('login-user', 'rui');
    await fill('login-passphrase', passphraseOf('rui'));
    await fireEvent.click(screen.getByTestId('login-submit'));
    const err = await screen.findByTestId('login-error');
    expect(err.textContent).toMatch(/This account is locked until \d\d:\d\d/);
  });

  it('warns when Caps Lock is on', async () => {
    await boot();
    const pass = screen.getByTestId('login-passphrase');
    await fireEvent.keyDown(pass, { key: 'A', modifierCapsLock: true });
    expect(screen.getByText(/Caps Lock is on/)).toBeTruthy();
    await fireEvent.keyUp(pass, { key: 'a', modifierCapsLock: false });
    expect(screen.queryByText(/Caps Lock is on/)).toBeNull();
  });

  it('Close vault goes back to Welcome', async () => {
    const { backend } = await boot();
    await fireEvent.click(screen.getByTestId('login-close-vault'));
    await screen.findByTestId('welcome-create');
    expect(backend.commandCount('close_vault')).toBe(1);
    expect(backend.vault).toBeNull();
  });
});
