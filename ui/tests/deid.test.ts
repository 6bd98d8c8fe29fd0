import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import { boot } from './helpers';

/** Receives the mock's demo delivery and imports its verified files. */
async function received(backend: MockBackend) {
  await backend.invoke('ingest_start', { request: { source: MockBackend.DEMO_SOURCE, manifest: null, bagit: false, csv_column: null, jsonl_field: null } });
  const [b] = await backend.invoke<{ id: string }[]>('list_batches');
  await backend.invoke('decide_batch', { batchId: b!.id, decision: 'release_verified', reason: null });
}

function select(el: HTMLElement, word: string) {
  const node = [...el.querySelectorAll('[data-at]')].find((n) => n.textContent?.includes(word))!.firstChild!;
  const at = node.textContent!.indexOf(word);
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + word.length);
  const sel = window.getSelection()!;
  sel.removeAllRanges();
  sel.addRange(range);
}

describe('de-identification review', () => {
  it('is for leads only', async () => {
    await boot({ as: 'rui', hash: '#/deid' });
    expect(screen.queryByTestId('nav-deid')).toBeNull();
    expect(screen.queryByTestId('deid-queue')).toBeNull();
  });

  it('runs, shows the original in a recorded frame, marks a miss, validates and signs off', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/home', prepare: (b) => void received(b) });
    window.location.hash = '#/deid';
    await screen.findByTestId('deid-counts');
    await fireEvent.click(screen.getByTestId('deid-run'));
    await waitFor(() => expect(screen.getByTestId('deid-queue').querySelectorAll('li').length).toBeGreaterThan(0));
    const first = screen.getByTestId('deid-queue').querySelector('button')!;
    await fireEvent.click(first);
    const original = await screen.findByTestId('deid-original');
    expect(original.textContent).toContain('Identifiable data — each view is recorded');
    expect(screen.getByTestId('deid-result').textContent).toContain('[NAME]');
    expect(backend.commandCount('deid_review')).toBe(1);

    // N moves between findings; M marks the selected missed city.
    await fireEvent.keyDown(window, { key: 'n' });
    expect(screen.getByTestId('deid-current').textContent).toContain('Finding 2');
    select(original, 'Harrowgate');
    await fireEvent.change(screen.getByTestId('deid-mark-category'), { target: { value: 'location' } });
    await fireEvent.keyDown(window, { key: 'm' });
    await waitFor(() => expect(screen.getByTestId('deid-result').textContent).toContain('[LOCATION]'));
    const revise = backend.calls.find((c) => c.cmd === 'deid_revise')!;
    const spans = (revise.args as { spans: { category: string }[] }).spans;
    expect(spans.at(-1)?.category).toBe('location');

    // Validate every item (all must be, by default), then sign off.
    for (let i = 0; i < 20; i++) {
      const todo = screen.getByTestId('deid-queue').querySelector('button[data-status="proposed"]') as HTMLElement | null;
      if (!todo) break;
      await fireEvent.click(todo);
      await waitFor(() => expect((screen.getByTestId('deid-validate') as HTMLButtonElement).disabled).toBe(false));
      await fireEvent.keyDown(window, { key: 'a' });
      await waitFor(() => expect(todo.getAttribute('data-status')).not.toBe('proposed'));
    }
    await waitFor(() => expect(screen.queryByTestId('deid-blocker')?.textContent ?? '').toBe(''));
    // The demo delivery's DICOM item is validated in its own pane, which reloads after.
    await waitFor(() => expect((screen.getByTestId('deid-sign-off') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('deid-sign-off'));
    expect((await screen.findByTestId('deid-signed')).textContent).toContain('released for annotation');
  });

  it('tells the lead to select text before marking a miss', async () => {
    await boot({ as: 'lena', hash: '#/home', prepare: (b) => void received(b) });
    window.location.hash = '#/deid';
    await screen.findByTestId('deid-counts');
    await fireEvent.click(screen.getByTestId('deid-run'));
    await waitFor(() => expect(screen.getByTestId('deid-queue').querySelector('button')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('deid-queue').querySelector('button')!);
    await screen.findByTestId('deid-original');
    window.getSelection()?.removeAllRanges();
    await fireEvent.click(screen.getByTestId('deid-mark'));
    expect((await screen.findByTestId('deid-error')).textContent).toContain('Select the missed identifier');
  });
});
