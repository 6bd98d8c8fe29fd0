import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import { boot } from './helpers';

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function receiveDemo() {
  await fill('ingest-source', MockBackend.DEMO_SOURCE);
  await fireEvent.click(screen.getByTestId('ingest-check'));
  await screen.findByTestId('ingest-preflight');
  await fireEvent.click(screen.getByTestId('ingest-start'));
  return screen.findByTestId('ingest-report');
}

describe('receive', () => {
  it('is a lead-only page', async () => {
    await boot({ as: 'ari', hash: '#/receive' });
    expect(screen.queryByTestId('nav-receive')).toBeNull();
    expect(screen.queryByTestId('ingest-source')).toBeNull();
  });

  it('checks the source first, then receives and shows problems with both hashes', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/receive' });
    await screen.findByTestId('batches-empty');
    await fill('ingest-source', MockBackend.DEMO_SOURCE);
    await fireEvent.click(screen.getByTestId('ingest-check'));
    const pre = await screen.findByTestId('ingest-preflight');
    expect(pre.textContent).toContain('Folder with a manifest');
    expect(screen.getByTestId('ingest-preflight-warn').textContent).toContain('1 missing');
    expect(backend.commandCount('ingest_start')).toBe(0);
    await fireEvent.click(screen.getByTestId('ingest-start'));
    await screen.findByTestId('ingest-report');
    expect(screen.getByTestId('ingest-result').textContent).toContain('quarantined');
    const rows = screen.getByTestId('ingest-files').querySelectorAll('tbody tr');
    expect([...rows].map((r) => r.getAttribute('data-verdict')).sort()).toEqual(['mismatched', 'missing']);
    const mismatch = [...rows].find((r) => r.getAttribute('data-verdict') === 'mismatched')!;
    expect(mismatch.textContent).toContain('note-003.txt');
    expect(mismatch.textContent).toMatch(/sha256 [0-9a-f]{12}…/);
    await fireEvent.click(screen.getByTestId('ingest-filter-all'));
    expect(screen.getByTestId('ingest-files').querySelectorAll('tbody tr').length).toBe(6);
  });

  it('needs a decision: abort requires a reason, import releases the verified files', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/receive' });
    await receiveDemo();
    await fireEvent.click(screen.getByTestId('ingest-abort'));
    expect(await screen.findByText(/Say why the batch is aborted/)).toBeTruthy();
    expect(backend.commandCount('decide_batch')).toBe(0);
    await fireEvent.click(screen.getByTestId('ingest-release'));
    await screen.findByTestId('ingest-decided');
    expect(backend.calls.find((c) => c.cmd === 'decide_batch')?.args).toEqual({
      batchId: expect.any(String),
      decision: 'release_verified',
      reason: null,
    });
  });

  it('shows progress events while receiving and exports a verified receipt', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/receive' });
    await screen.findByTestId('batches-empty');
    backend.emit('ingest-progress', { files_done: 1, files_total: 2, bytes_done: 10, bytes_total: 20, elapsed_ms: 5 });
    await receiveDemo();
    await fill('ingest-receipt-path', '/home/user/receipt.json');
    await fireEvent.click(screen.getByTestId('ingest-receipt-export'));
    const done = await screen.findByTestId('ingest-receipt-result');
    expect(done.textContent).toContain('✓');
    expect(backend.commandCount('verify_receipt')).toBe(1);
    await waitFor(() => expect(screen.getByTestId('batches-table').textContent).toContain('needs decision'));
  });

  it('names an unreadable source in one sentence', async () => {
    await boot({ as: 'lena', hash: '#/receive' });
    await fill('ingest-source', '/no/such/folder');
    await fireEvent.click(screen.getByTestId('ingest-check'));
    expect((await screen.findByTestId('ingest-error')).textContent).toContain('not a folder');
  });
});

describe('items', () => {
  it('lists received items with original names and filters by status', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/receive' });
    await receiveDemo();
    window.location.hash = '#/items';
    const table = await screen.findByTestId('items-table');
    expect(table.textContent).toContain('notes/batch.csv #row 3');
    await fireEvent.change(screen.getByTestId('items-status'), { target: { value: 'quarantined' } });
    await waitFor(() => expect(screen.getByTestId('items-table').querySelectorAll('tbody tr').length).toBe(1));
    expect(backend.calls.at(-1)?.args).toEqual({ filter: { batch_id: null, status: 'quarantined', offset: 0, limit: 200 } });
  });
});

describe('home stage rail', () => {
  it('starts with the empty state and links the next action, then raises the quarantine alert', async () => {
    await boot({ as: 'lena', hash: '#/home' });
    const rail = await screen.findByTestId('stage-rail');
    const stages = [...rail.querySelectorAll('li')];
    expect(stages.map((s) => s.getAttribute('data-stage'))).toEqual(['receive', 'deidentify', 'assign', 'annotate', 'review', 'deliver', 'retain']);
    const receive = stages[0]!;
    expect(receive.getAttribute('data-state')).toBe('not_started');
    expect(receive.querySelector('a')?.getAttribute('href')).toBe('#/receive');
    expect(receive.textContent).toContain('No data yet');
    expect(screen.queryByTestId('home-alerts')).toBeNull();

    location.hash = '#/receive';
    await screen.findByTestId('ingest-source');
    await receiveDemo();
    location.hash = '#/home';
    const alerts = await screen.findByTestId('home-alerts');
    const quarantine = alerts.querySelector('[data-stage="receive"]')!;
    expect(quarantine.getAttribute('data-level')).toBe('danger');
    expect(quarantine.textContent).toContain('failed the checksum check');
    expect(quarantine.textContent).not.toContain('note-003');
    const state = (await screen.findByTestId('stage-rail')).querySelector('[data-stage="receive"]')!;
    expect(state.getAttribute('data-state')).toBe('needs_attention');
  });

  it('links an annotator to their own work, not to screens they may not open', async () => {
    await boot({ as: 'ari', hash: '#/home' });
    const rail = await screen.findByTestId('stage-rail');
    expect(rail.querySelector('[data-stage="receive"] a')).toBeNull();
    expect(rail.querySelector('[data-stage="receive"]')!.textContent).toContain('No data yet');
  });
});
