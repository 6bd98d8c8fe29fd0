import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { boot } from './helpers';

describe('role-aware routing', () => {
  it('annotator typing #/users sees forbidden and the backend is never asked', async () => {
    const { backend } = await boot({ as: 'ari', hash: '#/users' });
    const forbidden = await screen.findByTestId('forbidden');
    expect(forbidden.textContent).toContain('Your role (annotator) does not include user management.');
    expect(backend.commandCount('list_users')).toBe(0);
    // The nav does not offer it either.
    expect(screen.queryByTestId('nav-users')).toBeNull();
    expect(screen.queryByTestId('nav-audit')).toBeNull();
    expect(screen.getByTestId('nav-account')).toBeTruthy();
  });

  it('reviewer typing #/audit sees forbidden without an audit_query', async () => {
    const { backend } = await boot({ as: 'rui', hash: '#/audit' });
    const forbidden = await screen.findByTestId('forbidden');
    expect(forbidden.textContent).toContain('Your role (reviewer) does not include the audit log.');
    expect(backend.commandCount('audit_query')).toBe(0);
  });

  it('following a hash change switches pages', async () => {
    await boot({ as: 'lena', hash: '#/home' });
    await screen.findByTestId('vault-facts');
    window.location.hash = '#/users';
    await screen.findByTestId('user-row-ari');
    expect(screen.getByTestId('nav-users').getAttribute('aria-current')).toBe('page');
  });

  it('compliance sees users read-only', async () => {
    await boot({ as: 'cora', hash: '#/users' });
    await screen.findByTestId('user-row-lena');
    expect(screen.queryByTestId('user-add-submit')).toBeNull();
    expect(screen.queryByTestId('user-disable-ari')).toBeNull();
    expect(screen.getByText(/Read-only/)).toBeTruthy();
  });

  it('Ctrl+L locks and the same user returns to the same route', async () => {
    const { backend } = await boot({ as: 'cora', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    await fireEvent.keyDown(window, { key: 'l', ctrlKey: true });
    const user = (await screen.findByTestId('login-user')) as HTMLInputElement;
    expect(backend.session).toBeNull();
    expect(user.value).toBe('cora');
    await fireEvent.input(screen.getByTestId('login-passphrase'), { target: { value: 'cora-demo-passphrase' } });
    await fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findAllByTestId('audit-row');
    expect(window.location.hash).toBe('#/audit');
  });

  it('Log out returns to login and the next user starts at Home', async () => {
    await boot({ as: 'cora', hash: '#/audit' });
    await fireEvent.click(screen.getByTestId('logout'));
    const user = (await screen.findByTestId('login-user')) as HTMLInputElement;
    expect(user.value).toBe('');
    await fireEvent.input(user, { target: { value: 'lena' } });
    await fireEvent.input(screen.getByTestId('login-passphrase'), { target: { value: 'lena-demo-passphrase' } });
    await fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('vault-facts');
    await waitFor(() => expect(window.location.hash).toBe('#/home'));
  });
});
