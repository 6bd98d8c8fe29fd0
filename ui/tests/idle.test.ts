import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boot } from './helpers';

afterEach(() => vi.restoreAllMocks());

describe('idle lock', () => {
  it('session_status null shows the opaque overlay, hiding all content', async () => {
    const { backend, ctl } = await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    backend.expireSession();
    await ctl.checkSession();
    const overlay = await screen.findByTestId('lock-overlay');
    expect(overlay.textContent).toContain('Locked after 15 min idle. All work is saved.');
    // Nothing of the shell stays in the DOM behind the overlay.
    expect(screen.queryByTestId('user-row-ari')).toBeNull();
    expect(screen.queryByTestId('role-badge')).toBeNull();
    expect(overlay.querySelector('[data-testid="login-passphrase"]')).not.toBeNull();
  });

  it('a command rejected with session_expired locks too, and the same user returns to the route', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/home' });
    await screen.findByTestId('vault-facts');
    backend.expireSession();
    window.location.hash = '#/users'; // list_users now rejects with session_expired
    await screen.findByTestId('lock-overlay');
    expect((screen.getByTestId('login-user') as HTMLInputElement).value).toBe('lena');
    await fireEvent.input(screen.getByTestId('login-passphrase'), { target: { value: 'lena-demo-passphrase' } });
    await fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('user-row-ari');
    expect(window.location.hash).toBe('#/users');
  });

  it('a different user unlocking lands on Home', async () => {
    const { backend, ctl } = await boot({ as: 'cora', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    backend.expireSession();
    await ctl.checkSession();
    await screen.findByTestId('lock-overlay');
    await fireEvent.input(screen.getByTestId('login-user'), { target: { value: 'lena' } });
    await fireEvent.input(screen.getByTestId('login-passphrase'), { target: { value: 'lena-demo-passphrase' } });
    await fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('vault-facts');
    expect(window.location.hash).toBe('#/home');
  });

  it('heartbeats on real input at most once every 20 s', async () => {
    const { backend } = await boot({ as: 'ari' });
    const t0 = Date.now();
    const now = vi.spyOn(Date, 'now');
    const at = async (secs: number) => {
      now.mockReturnValue(t0 + secs * 1000);
      await fireEvent.keyDown(window, { key: 'j' });
    };
    await at(5);
    expect(backend.commandCount('heartbeat')).toBe(0);
    await at(21);
    await waitFor(() => expect(backend.commandCount('heartbeat')).toBe(1));
    await at(30);
    await fireEvent.pointerDown(document.body);
    expect(backend.commandCount('heartbeat')).toBe(1);
    now.mockReturnValue(t0 + 42_000);
    await fireEvent.wheel(document.body);
    await waitFor(() => expect(backend.commandCount('heartbeat')).toBe(2));
  });

  it('warns 60 s before the lock', async () => {
    const { ctl } = await boot({ as: 'ari' });
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    ctl.updateSession({ ...ctl.session!, idle_remaining_secs: 45 });
    const toast = await screen.findByTestId('idle-warning');
    expect(toast.textContent).toMatch(/locks in 0:4\d/);
    expect(screen.getByTestId('idle-countdown')).toBeTruthy();
  });
});
