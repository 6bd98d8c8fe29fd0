import { afterEach, describe, expect, it, vi } from 'vitest';

const tauriInvoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...a: unknown[]) => tauriInvoke(...a) }));

import { isAppError, TauriBackend, toAppError } from '../src/lib/api/backend';
import * as api from '../src/lib/api/commands';
import type { IBackend } from '../src/lib/api/backend';
import type { AuditFilter } from '../src/lib/api/types';

afterEach(() => tauriInvoke.mockReset());

describe('toAppError', () => {
  it('keeps a well-formed {code, message}', () => {
    expect(toAppError({ code: 'forbidden', message: 'No.' })).toEqual({ code: 'forbidden', message: 'No.' });
  });

  it.each([
    ['a string', 'boom: /home/x/secret path'],
    ['an Error', new Error('stack trace with details')],
    ['an unknown code', { code: 'exploded', message: 'x' }],
    ['a missing message', { code: 'internal' }],
    ['null', null],
  ])('turns %s into a generic internal error', (_label, value) => {
    expect(toAppError(value)).toEqual({ code: 'internal', message: 'Unexpected error.' });
    expect(isAppError(value)).toBe(false);
  });
});

describe('TauriBackend', () => {
  it('passes the command and args to invoke and returns its value', async () => {
    tauriInvoke.mockResolvedValueOnce({ path: '/p', vault_id: 'v', format_version: 1 });
    const b = new TauriBackend();
    await expect(b.invoke('open_vault', { path: '/p' })).resolves.toEqual({
      path: '/p',
      vault_id: 'v',
      format_version: 1,
    });
    expect(tauriInvoke).toHaveBeenCalledWith('open_vault', { path: '/p' });
  });

  it('rejects with the AppError the backend sent', async () => {
    tauriInvoke.mockRejectedValueOnce({ code: 'bad_credentials', message: 'User name or passphrase not recognised.' });
    await expect(new TauriBackend().invoke('login')).rejects.toEqual({
      code: 'bad_credentials',
      message: 'User name or passphrase not recognised.',
    });
  });

  it('turns a non-AppError rejection into internal', async () => {
    tauriInvoke.mockRejectedValueOnce('command login not found');
    await expect(new TauriBackend().invoke('login')).rejects.toEqual({
      code: 'internal',
      message: 'Unexpected error.',
    });
  });
});

describe('commands', () => {
  function recorder() {
    const calls: [string, Record<string, unknown> | undefined][] = [];
    const b: IBackend = {
      invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
        calls.push([cmd, args]);
        return Promise.resolve(null as T);
      },
      listen() {
        return Promise.resolve(() => {});
      },
    };
    api.setBackend(b);
    return calls;
  }

  it('use the contract names and camelCase argument keys', async () => {
    const calls = recorder();
    const filter: AuditFilter = {
      actor: null,
      action: 'login',
      from: '2026-01-01',
      to: null,
      failures_only: true,
      break_glass_only: false,
      offset: 100,
      limit: 100,
    };
    await api.appStatus();
    await api.createVault('/v.airlock', 'Proj', 'lena', 'a long passphrase');
    await api.openVault('/v.airlock');
    await api.closeVault();
    await api.createDemo('/d.airlock');
    await api.login('lena', 'pw', null);
    await api.logout();
    await api.heartbeat();
    await api.sessionStatus();
    await api.vaultInfo();
    await api.listUsers();
    await api.addUser('ari', 'annotator', 'pw');
    await api.disableUser('ari');
    await api.unlockUser('ari');
    await api.changePassphrase('old', 'new');
    await api.totpBegin();
    await api.totpConfirm('123456');
    await api.totpDisable('654321');
    await api.startBreakGlass('why', 30);
    await api.auditQuery(filter);
    await api.auditVerify();
    await api.auditExport('jsonl', '/a.jsonl');
    expect(calls).toEqual([
      ['app_status', undefined],
      ['create_vault', { path: '/v.airlock', projectName: 'Proj', leadName: 'lena', passphrase: 'a long passphrase' }],
      ['open_vault', { path: '/v.airlock' }],
      ['close_vault', undefined],
      ['create_demo', { path: '/d.airlock' }],
      ['login', { userName: 'lena', passphrase: 'pw', totpCode: null }],
      ['logout', undefined],
      ['heartbeat', undefined],
      ['session_status', undefined],
      ['vault_info', undefined],
      ['list_users', undefined],
      ['add_user', { name: 'ari', role: 'annotator', passphrase: 'pw' }],
      ['disable_user', { name: 'ari' }],
      ['unlock_user', { name: 'ari' }],
      ['change_passphrase', { current: 'old', next: 'new' }],
      ['totp_begin', undefined],
      ['totp_confirm', { code: '123456' }],
      ['totp_disable', { code: '654321' }],
      ['start_break_glass', { reason: 'why', minutes: 30 }],
      ['audit_query', { filter }],
      ['audit_verify', undefined],
      ['audit_export', { format: 'jsonl', path: '/a.jsonl' }],
    ]);
  });
});
