import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { boot } from './helpers';

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('users', () => {
  it('lists users with status text and icon', async () => {
    await boot({ as: 'lena', hash: '#/users' });
    const row = await screen.findByTestId('user-row-ari');
    expect(row.textContent).toContain('Annotator');
    expect(row.textContent).toContain('Active');
  });

  it('add flow calls add_user with the right args and refreshes', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    await fill('user-add-name', 'nora');
    await fireEvent.change(screen.getByTestId('user-add-role'), { target: { value: 'reviewer' } });
    await fill('user-add-passphrase', 'nora initial passphrase');
    await fill('user-add-passphrase2', 'nora initial passphrase');
    await fireEvent.click(screen.getByTestId('user-add-submit'));
    const row = await screen.findByTestId('user-row-nora');
    expect(row.textContent).toContain('Reviewer');
    expect(backend.calls.filter((c) => c.cmd === 'add_user')).toEqual([
      { cmd: 'add_user', args: { name: 'nora', role: 'reviewer', passphrase: 'nora initial passphrase' } },
    ]);
    expect(backend.commandCount('list_users')).toBe(2);
  });

  it('refuses mismatched passphrases without calling the backend', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    await fill('user-add-name', 'nora');
    await fill('user-add-passphrase', 'nora initial passphrase');
    await fill('user-add-passphrase2', 'nora initial passphrase!');
    await fireEvent.click(screen.getByTestId('user-add-submit'));
    expect(await screen.findByText(/do not match/)).toBeTruthy();
    expect(backend.commandCount('add_user')).toBe(0);
  });

  it('shows a backend refusal inline', async () => {
    await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    await fill('user-add-name', 'ari');
    await fill('user-add-passphrase', 'another passphrase');
    await fill('user-add-passphrase2', 'another passphrase');
    await fireEvent.click(screen.getByTestId('user-add-submit'));
    expect(await screen.findByText(/A user with this name already exists/)).toBeTruthy();
  });

  it('disable needs the typed user name', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    await fireEvent.click(screen.getByTestId('user-disable-ari'));
    const ok = (await screen.findByTestId('confirm-ok')) as HTMLButtonElement;
    expect(ok.disabled).toBe(true);
    await fill('confirm-input', 'ar');
    expect(ok.disabled).toBe(true);
    await fill('confirm-input', 'ari');
    expect(ok.disabled).toBe(false);
    await fireEvent.click(ok);
    await waitFor(() => expect(screen.getByTestId('user-row-ari').getAttribute('data-status')).toBe('disabled'));
    expect(backend.calls.filter((c) => c.cmd === 'disable_user')).toEqual([
      { cmd: 'disable_user', args: { name: 'ari' } },
    ]);
    expect(screen.queryByTestId('confirm-ok')).toBeNull();
    expect(screen.queryByTestId('user-disable-ari')).toBeNull();
  });

  it('unlock is offered for locked users', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/users' });
    await screen.findByTestId('user-row-ari');
    backend.vault!.users.find((u) => u.name === 'rui')!.lockedUntil = Date.now() + 600_000;
    // Re-enter the page so it refreshes.
    window.location.hash = '#/home';
    await screen.findByTestId('vault-facts');
    window.location.hash = '#/users';
    await fireEvent.click(await screen.findByTestId('user-unlock-rui'));
    await waitFor(() => expect(screen.getByTestId('user-row-rui').getAttribute('data-status')).toBe('active'));
    expect(backend.calls.filter((c) => c.cmd === 'unlock_user')).toEqual([{ cmd: 'unlock_user', args: { name: 'rui' } }]);
  });
});
