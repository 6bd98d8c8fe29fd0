import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { boot } from './helpers';

describe('audit viewer', () => {
  it('renders a page of rows with action and outcome attributes, newest first', async () => {
    const { backend } = await boot({ as: 'cora', hash: '#/audit' });
    const rows = await screen.findAllByTestId('audit-row');
    const total = backend.vault!.events.length;
    expect(rows).toHaveLength(100);
    const totalEl = screen.getByTestId('audit-total');
    expect(totalEl.getAttribute('data-total')).toBe(String(total));
    expect(totalEl.textContent).toContain(`Showing 1–100 of ${total}`);
    const seqs = rows.map((r) => Number(r.getAttribute('data-seq')));
    expect(seqs[0]).toBeGreaterThan(seqs[1]!);
    for (const r of rows) {
      expect(r.getAttribute('data-action')).toMatch(/^[a-z_]+$/);
      expect(['success', 'failure', 'denied']).toContain(r.getAttribute('data-outcome'));
    }
    // Failures carry an icon and text, not colour alone.
    const failed = rows.find((r) => r.getAttribute('data-outcome') === 'failure')!;
    expect(failed.textContent).toContain('✗');
    expect(failed.textContent).toContain('failure');
    const q = backend.calls.find((c) => c.cmd === 'audit_query')!;
    expect(q.args).toEqual({
      filter: {
        actor: null,
        action: null,
        from: null,
        to: null,
        failures_only: false,
        break_glass_only: false,
        offset: 0,
        limit: 100,
      },
    });
  });

  it('filters by action and failures, and pages', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    await fireEvent.change(screen.getByTestId('audit-filter-action'), { target: { value: 'login_failed' } });
    await waitFor(() => {
      const rows = screen.getAllByTestId('audit-row');
      expect(rows.every((r) => r.getAttribute('data-action') === 'login_failed')).toBe(true);
    });
    await fireEvent.change(screen.getByTestId('audit-filter-action'), { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('audit-failures-only'));
    await waitFor(() => {
      const rows = screen.getAllByTestId('audit-row');
      expect(rows.every((r) => r.getAttribute('data-outcome') !== 'success')).toBe(true);
    });
    const last = backend.calls.filter((c) => c.cmd === 'audit_query').at(-1)!;
    expect((last.args!.filter as { failures_only: boolean }).failures_only).toBe(true);

    await fireEvent.click(screen.getByTestId('audit-failures-only'));
    await waitFor(() => expect(screen.getByTestId('audit-total').textContent).toContain('Showing 1–100'));
    await fireEvent.click(screen.getByText(/Older/));
    await waitFor(() => expect(screen.getByTestId('audit-total').textContent).toContain('Showing 101–200'));
  });

  it('"/" focuses the actor filter', async () => {
    await boot({ as: 'lena', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    await fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('audit-filter-actor'));
  });

  it('opens a detail drawer with id, seq, detail and both hashes', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/audit' });
    const rows = await screen.findAllByTestId('audit-row');
    await fireEvent.click(rows[3]!.querySelector('td:nth-child(4)')!);
    const drawer = await screen.findByTestId('audit-detail');
    const seq = Number(rows[3]!.getAttribute('data-seq'));
    const ev = backend.vault!.events.find((e) => e.seq === seq)!;
    expect(drawer.textContent).toContain(`Event #${seq}`);
    expect(drawer.textContent).toContain(ev.id);
    expect(drawer.textContent).toContain(ev.prev_hash);
    expect(drawer.textContent).toContain(ev.hash);
    await fireEvent.keyDown(document.body, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('audit-detail')).toBeNull());
  });

  it('shows an intact chain as ✓ with events, head and signers', async () => {
    const { backend } = await boot({ as: 'cora', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    const events = backend.vault!.events.length;
    const head = backend.vault!.events.at(-1)!.hash;
    await fireEvent.click(screen.getByTestId('audit-verify'));
    const result = await screen.findByTestId('audit-verify-result');
    expect(result.getAttribute('data-ok')).toBe('true');
    expect(result.textContent).toContain(`✓ ${events} events, head ${head.slice(0, 12)}…, 2 checkpoints signed by lena, cora`);
  });

  it('shows a broken chain as ✗ with where, what it means and what to do', async () => {
    const { backend } = await boot({ as: 'cora', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    backend.chainProblem = { seq: 18, kind: 'changed', message: 'event hash does not match its contents' };
    await fireEvent.click(screen.getByTestId('audit-verify'));
    const result = await screen.findByTestId('audit-verify-result');
    expect(result.getAttribute('data-ok')).toBe('false');
    expect(result.textContent).toContain('✗ chain breaks at event #18 (changed): event hash does not match its contents');
    expect(result.textContent).toContain('What this means');
    expect(result.textContent).toContain('What to do next');
  });

  it('exports with the chosen path and shows the result', async () => {
    const { backend } = await boot({ as: 'cora', hash: '#/audit' });
    await screen.findAllByTestId('audit-row');
    const path = screen.getByTestId('audit-export-path') as HTMLInputElement;
    expect(path.value).toMatch(/^\/home\/user\/Airlock\/audit-\d{4}-\d{2}-\d{2}\.csv$/);
    await fireEvent.click(screen.getByTestId('audit-export-jsonl'));
    const result = await screen.findByTestId('audit-export-result');
    const call = backend.calls.find((c) => c.cmd === 'audit_export')!;
    expect(call.args).toEqual({ format: 'jsonl', path: path.value });
    expect(path.value.endsWith('.jsonl')).toBe(true);
    expect(within(result).getByText(path.value)).toBeTruthy();
    expect(result.getAttribute('data-events')).toMatch(/^\d+$/);
  });
});
