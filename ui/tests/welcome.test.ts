import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { boot } from './helpers';

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('welcome', () => {
  it('create: validates, shows the recovery code once, then goes to login', async () => {
    const { backend } = await boot({ vault: false });
    await fireEvent.click(screen.getByTestId('welcome-create'));
    const path = screen.getByTestId('create-path') as HTMLInputElement;
    expect(path.value).toBe('/home/user/Airlock/my-project.airlock');
    await fill('create-project', 'Discharge notes 2026');
    await fill('create-lead', 'lena');
    await fill('create-passphrase', 'short');
    await fill('create-passphrase2', 'short');
    await fireEvent.click(screen.getByTestId('create-submit'));
    expect(await screen.findByText(/Use at least 12 characters/)).toBeTruthy();
    expect(backend.commandCount('create_vault')).toBe(0);

    await fill('create-passphrase', 'correct horse battery staple');
    await fill('create-passphrase2', 'correct horse battery staple');
    await fireEvent.click(screen.getByTestId('create-submit'));
    const code = await screen.findByTestId('recovery-code');
    const created = backend.vault!;
    expect(code.textContent).toBe(created.recoveryCode);
    expect(backend.calls.find((c) => c.cmd === 'create_vault')!.args).toEqual({
      path: '/home/user/Airlock/my-project.airlock',
      projectName: 'Discharge notes 2026',
      leadName: 'lena',
      passphrase: 'correct horse battery staple',
    });
    expect(screen.getByText(/it is the only way back in if every lead forgets their passphrase/)).toBeTruthy();

    const cont = screen.getByTestId('recovery-continue') as HTMLButtonElement;
    expect(cont.disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('recovery-ack'));
    expect(cont.disabled).toBe(false);
    await fireEvent.click(cont);
    await screen.findByTestId('login-user');
    expect(screen.queryByTestId('recovery-code')).toBeNull();
  });

  it('demo: creates a timestamped vault and lists the demo users', async () => {
    const { backend } = await boot({ vault: false });
    await fireEvent.click(screen.getByTestId('welcome-demo'));
    const table = await screen.findByTestId('demo-users');
    const call = backend.calls.find((c) => c.cmd === 'create_demo')!;
    expect(call.args!.path).toMatch(/^\/home\/user\/Airlock\/demo-\d{8}-\d{6}\.airlock$/);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-name'))).toEqual(['lena', 'ari', 'rui', 'cora']);
    expect(table.textContent).toContain('ari-demo-passphrase');
    await fireEvent.click(screen.getByTestId('demo-continue'));
    await screen.findByTestId('login-user');
  });

  it('open: shows the backend error inline, then opens', async () => {
    const { backend } = await boot({ vault: false });
    backend.seedDemo('/vaults/team.airlock');
    backend.vault = null;
    await fireEvent.click(screen.getByTestId('welcome-open'));
    await fill('open-path', '/vaults/missing.airlock');
    await fireEvent.click(screen.getByTestId('open-submit'));
    expect(await screen.findByText('No Airlock vault was found at this path.')).toBeTruthy();
    await fill('open-path', '/vaults/team.airlock');
    await fireEvent.click(screen.getByTestId('open-submit'));
    await screen.findByTestId('login-user');
    expect(screen.getByText('/vaults/team.airlock')).toBeTruthy();
  });
});
