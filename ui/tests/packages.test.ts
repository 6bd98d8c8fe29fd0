import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import type { MergeReport, PackageDto, QueueEntry } from '../src/lib/api/types';
import { boot, passphraseOf } from './helpers';

const SCHEMA = { name: 'E', task: 'text_spans', body: { labels: [{ name: 'P', key: null, color: null, description: null }], multi: false }, guideline: '' };

/** The demo vault with work assigned to ari, and ari's workspace vault with its card written. */
async function twoLaptops(): Promise<{ fake: MockBackend; demo: string }> {
  const fake = MockBackend.withDemo();
  const demo = `${fake.defaultVaultDir}/demo.airlock`;
  fake.signInAs('lena');
  await fake.invoke('ingest_start', { request: { source: MockBackend.DEMO_SOURCE, manifest: null, bagit: false, csv_column: null, jsonl_field: null } });
  const [batch] = await fake.invoke<{ id: string }[]>('list_batches');
  await fake.invoke('decide_batch', { batchId: batch!.id, decision: 'release_verified', reason: null });
  await fake.invoke('deid_run', { batchId: batch!.id });
  for (const q of await fake.invoke<{ item_id: string }[]>('deid_queue', { batchId: batch!.id })) {
    await fake.invoke('deid_validate', { itemId: q.item_id });
  }
  await fake.invoke('deid_sign_off', { batchId: batch!.id });
  const schema = await fake.invoke<{ id: string }>('schema_create', { input: SCHEMA });
  await fake.invoke('schema_publish', { schemaId: schema.id });
  await fake.invoke('assign', { request: { schema_id: schema.id, batch_id: null, annotators: ['ari'], overlap: 1 } });
  await fake.invoke('create_workspace_vault', { path: '/laptop/ari.airlock', userName: 'ari', passphrase: passphraseOf('ari') });
  fake.signInAs('ari');
  await fake.invoke('contact_export', { out: '/laptop/ari.card.json' });
  await fake.invoke('open_vault', { path: demo });
  return { fake, demo };
}

describe('work packages', () => {
  it('an annotator creates a personal workspace from the welcome screen (no project name asked)', async () => {
    const { backend } = await boot({ vault: false });
    await fireEvent.click(screen.getByTestId('welcome-workspace'));
    expect((screen.getByTestId('create-path') as HTMLInputElement).value).toBe('/home/user/Airlock/my-workspace.airlock');
    expect(screen.queryByTestId('create-project')).toBeNull();
    await fireEvent.input(screen.getByTestId('create-lead'), { target: { value: 'ari' } });
    await fireEvent.input(screen.getByTestId('create-passphrase'), { target: { value: 'correct horse battery staple' } });
    await fireEvent.input(screen.getByTestId('create-passphrase2'), { target: { value: 'correct horse battery staple' } });
    await fireEvent.click(screen.getByTestId('create-submit'));
    await screen.findByTestId('recovery-code');
    expect(backend.commandCount('create_workspace_vault')).toBe(1);
    expect(backend.commandCount('create_vault')).toBe(0);
    expect(backend.vault!.users.map((u) => u.role)).toEqual(['annotator']);
  });

  it('the lead imports a card, reads its fingerprint back and issues a package', async () => {
    const { fake } = await twoLaptops();
    const { backend } = await boot({ as: 'lena', hash: '#/packages', backend: fake });
    await screen.findByTestId('pkg-empty');
    await fireEvent.input(screen.getByTestId('card-path'), { target: { value: '/laptop/ari.card.json' } });
    await fireEvent.click(screen.getByTestId('card-import'));
    expect((await screen.findByTestId('card-fingerprint')).textContent).toMatch(/ari: fingerprint [0-9a-f]{4}-/);
    await fireEvent.input(screen.getByTestId('pkg-to'), { target: { value: 'ari' } });
    await fireEvent.input(screen.getByTestId('pkg-out'), { target: { value: '/laptop/to-ari.pkg' } });
    await fireEvent.click(screen.getByTestId('pkg-issue'));
    await waitFor(() => expect(screen.getByTestId('pkg-status').textContent).toBe('issued'));
    expect(backend.commandCount('package_assign')).toBe(1);
    // The same work is not packaged twice while the package is outstanding.
    await fireEvent.input(screen.getByTestId('pkg-out'), { target: { value: '/laptop/again.pkg' } });
    await fireEvent.click(screen.getByTestId('pkg-issue'));
    expect((await screen.findByTestId('packages-error')).textContent).toContain('outstanding package');
  });

  it('a round trip through files: open in the workspace, return, merge once, replay changes nothing', async () => {
    const { fake, demo } = await twoLaptops();
    fake.signInAs('lena');
    await fake.invoke('contact_import', { user: null, path: '/laptop/ari.card.json' });
    const issued = await fake.invoke<PackageDto>('package_assign', { to: 'ari', out: '/laptop/to-ari.pkg', days: 14 });
    await fake.invoke('open_vault', { path: '/laptop/ari.airlock' });
    fake.signInAs('ari');
    await fake.invoke('package_open', { path: '/laptop/to-ari.pkg' });
    const queue = await fake.invoke<QueueEntry[]>('my_queue');
    expect(queue.length).toBe(issued.assignments);
    await fake.invoke('package_return', { package: null, out: '/laptop/from-ari.pkg' });
    await fake.invoke('open_vault', { path: demo });
    const { backend } = await boot({ as: 'lena', hash: '#/packages', backend: fake });
    await fireEvent.input(await screen.findByTestId('pkg-in'), { target: { value: '/laptop/from-ari.pkg' } });
    await fireEvent.click(screen.getByTestId('pkg-merge'));
    expect((await screen.findByTestId('pkg-merged')).textContent).toContain('audit events linked');
    await waitFor(() => expect(screen.getByTestId('pkg-status').textContent).toBe('merged'));
    const replay = await backend.invoke<MergeReport>('package_merge', { path: '/laptop/from-ari.pkg' });
    expect(replay.already_merged).toBe(true);
  });

  it('the audit viewer shows what the annotator did offline under the merge event', async () => {
    const { fake, demo } = await twoLaptops();
    fake.signInAs('lena');
    await fake.invoke('contact_import', { user: null, path: '/laptop/ari.card.json' });
    const issued = await fake.invoke<PackageDto>('package_assign', { to: 'ari', out: '/laptop/to-ari.pkg', days: 14 });
    await fake.invoke('open_vault', { path: '/laptop/ari.airlock' });
    fake.signInAs('ari');
    await fake.invoke('package_open', { path: '/laptop/to-ari.pkg' });
    await fake.invoke('package_return', { package: null, out: '/laptop/from-ari.pkg' });
    await fake.invoke('open_vault', { path: demo });
    fake.signInAs('lena');
    const merged = await fake.invoke<MergeReport>('package_merge', { path: '/laptop/from-ari.pkg' });
    const { backend } = await boot({ as: 'lena', hash: '#/audit', backend: fake });
    const rows = await screen.findAllByTestId('audit-row');
    const mergeRow = rows.find((r) => r.getAttribute('data-action') === 'package_merged')!;
    expect(mergeRow.textContent).toContain('from workspace');
    await fireEvent.click(mergeRow.querySelector('td:nth-child(4)')!);
    const seg = await screen.findByTestId('audit-segment');
    await waitFor(() => expect(screen.getAllByTestId('segment-row').length).toBe(merged.segment_events));
    expect(seg.textContent).toContain('ari');
    expect(screen.getAllByTestId('segment-row').filter((r) => r.getAttribute('data-action') === 'annotation_submitted').length).toBe(issued.assignments);
    expect(backend.commandCount('audit_segment')).toBe(1);
    const report = await backend.invoke<{ segments: number; segment_events: number }>('audit_verify');
    expect([report.segments, report.segment_events]).toEqual([1, merged.segment_events]);
    await expect(backend.invoke('audit_segment', { mergeSeq: 1 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a workspace that trusts its lead’s card refuses a package signed by someone else', async () => {
    const { fake, demo } = await twoLaptops();
    fake.signInAs('lena');
    await fake.invoke('add_user', { name: 'lee', role: 'lead', passphrase: 'lee-demo-passphrase-1' });
    fake.signInAs('lee');
    await fake.invoke('contact_export', { out: '/laptop/lee.card.json' });
    fake.signInAs('lena');
    await fake.invoke('contact_import', { user: 'ari', path: '/laptop/ari.card.json' });
    await fake.invoke('package_assign', { to: 'ari', out: '/laptop/to-ari.pkg', days: 14 });
    await fake.invoke('open_vault', { path: '/laptop/ari.airlock' });
    const { backend } = await boot({ as: 'ari', hash: '#/packages', backend: fake });
    await fireEvent.input(await screen.findByTestId('lead-card'), { target: { value: '/laptop/lee.card.json' } });
    await fireEvent.click(screen.getByTestId('lead-trust'));
    expect((await screen.findByTestId('lead-fingerprint')).textContent).toContain('Trusting lee');
    await fireEvent.input(screen.getByTestId('pkg-in'), { target: { value: '/laptop/to-ari.pkg' } });
    await fireEvent.click(screen.getByTestId('pkg-open'));
    expect((await screen.findByTestId('packages-error')).textContent).toContain('another key');
    expect(await backend.invoke<unknown[]>('my_queue')).toEqual([]);
    expect(demo).toContain('demo.airlock');
  });

  it('a revoked package refuses its result, and the refusal is recorded', async () => {
    const { fake } = await twoLaptops();
    fake.signInAs('lena');
    await fake.invoke('contact_import', { user: 'ari', path: '/laptop/ari.card.json' });
    const p = await fake.invoke<PackageDto>('package_assign', { to: 'ari', out: '/laptop/to-ari.pkg', days: 14 });
    await boot({ as: 'lena', hash: '#/packages', backend: fake });
    await fireEvent.click(await screen.findByTestId('pkg-revoke'));
    await fireEvent.input(screen.getByTestId('pkg-reason'), { target: { value: 'laptop lost' } });
    await fireEvent.click(screen.getByTestId('pkg-revoke-confirm'));
    await waitFor(() => expect(screen.getByTestId('pkg-status').textContent).toBe('revoked'));
    expect(p.status).toBe('issued');
  });
});
