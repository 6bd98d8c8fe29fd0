import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import type { SchemaDto } from '../src/lib/api/types';
import { boot } from './helpers';

/** Drives the fake to: a delivery received, de-identified, validated, signed off; a published span schema. */
async function released(b: MockBackend, annotators: string[], overlap: number): Promise<SchemaDto> {
  b.signInAs('lena');
  await b.invoke('ingest_start', { request: { source: MockBackend.DEMO_SOURCE, manifest: null, bagit: false, csv_column: null, jsonl_field: null } });
  const [batch] = await b.invoke<{ id: string }[]>('list_batches');
  await b.invoke('decide_batch', { batchId: batch!.id, decision: 'release_verified', reason: null });
  await b.invoke('deid_run', { batchId: batch!.id });
  for (const q of await b.invoke<{ item_id: string }[]>('deid_queue', { batchId: batch!.id })) {
    await b.invoke('deid_validate', { itemId: q.item_id });
  }
  await b.invoke('deid_sign_off', { batchId: batch!.id });
  for (const name of annotators.filter((n) => n !== 'ari')) {
    await b.invoke('add_user', { name, role: 'annotator', passphrase: `${name}-initial-passphrase` });
  }
  const schema = await b.invoke<SchemaDto>('schema_create', {
    input: { name: 'Entities', task: 'text_spans', body: { labels: [{ name: 'Person', key: null, color: null, description: null }, { name: 'Date', key: null, color: null, description: null }], multi: false }, guideline: 'Mark people and dates.' },
  });
  await b.invoke('schema_publish', { schemaId: schema.id });
  await b.invoke('assign', { request: { schema_id: schema.id, batch_id: null, annotators, overlap } });
  return schema;
}

function selectWord(root: HTMLElement, word: string) {
  const node = [...root.querySelectorAll('[data-at]')].find((n) => n.textContent?.includes(word))!.firstChild!;
  const at = node.textContent!.indexOf(word);
  const range = document.createRange();
  range.setStart(node, at + 1); // mid-word: the selection snaps to the whole word
  range.setEnd(node, at + word.length - 1);
  const sel = window.getSelection()!;
  sel.removeAllRanges();
  sel.addRange(range);
  document.dispatchEvent(new Event('selectionchange'));
}

describe('schemas and assignment (lead)', () => {
  it('creates a draft with key chips, publishes it, previews and assigns', async () => {
    const { backend } = await boot({ as: 'lena', hash: '#/schemas' });
    await screen.findByTestId('schemas-empty');
    await fireEvent.input(screen.getByTestId('schema-name'), { target: { value: 'Entities' } });
    await fireEvent.input(screen.getByTestId('schema-labels'), { target: { value: 'Person\nDate | a calendar date' } });
    expect(screen.getByTestId('schema-preview').textContent).toContain('1 Person');
    await fireEvent.click(screen.getByTestId('schema-create'));
    await fireEvent.click(await screen.findByTestId('schema-publish-1'));
    await waitFor(() => expect(screen.getByTestId('schemas-table').querySelector('tr[data-status="published"]')).toBeTruthy());
    window.location.hash = '#/assign';
    await waitFor(() => expect((screen.getByTestId('assign-schema') as HTMLSelectElement).value).not.toBe(''));
    await waitFor(() => expect((screen.getByTestId('assign-annotator-ari') as HTMLInputElement).checked).toBe(true));
    await fireEvent.click(screen.getByTestId('assign-preview'));
    expect((await screen.findByTestId('assign-warning')).textContent).toContain('No released items');
    expect(backend.commandCount('assign')).toBe(0);
  });
});

describe('labelling (annotator)', () => {
  it('snaps a selection to words, applies the label by its digit, saves at once and submits with Enter', async () => {
    const fake = MockBackend.withDemo();
    await released(fake, ['ari'], 1);
    const { backend } = await boot({ as: 'ari', hash: '#/work', backend: fake });
    const text = await screen.findByTestId('work-text');
    expect(text.textContent).toContain('[NAME]');
    expect(text.textContent).not.toContain('Jane Roe');
    selectWord(text, 'Harrowgate');
    await fireEvent.keyDown(window, { key: '2', code: 'Digit2' });
    await waitFor(() => expect(screen.getByTestId('work-saved').textContent).toContain('Saved'));
    const save = backend.calls.find((c) => c.cmd === 'save_annotation')!;
    const value = (save.args as { value: { spans: { start: number; end: number; label: string }[] } }).value;
    const original = (await backend.invoke<{ text: string }>('open_assignment', { assignmentId: (save.args as { assignmentId: string }).assignmentId })).text;
    const enc = new TextEncoder().encode(original);
    const s = value.spans[0]!;
    expect(new TextDecoder().decode(enc.slice(s.start, s.end))).toBe('Harrowgate');
    expect(s.label).toBe('Date');
    expect(screen.getByTestId('work-regions').textContent).toContain('Harrowgate');
    await fireEvent.keyDown(window, { key: 'Enter', code: 'Enter' });
    await waitFor(() => expect(backend.commandCount('submit_annotation')).toBe(1));
  });
});

describe('review and agreement (reviewer)', () => {
  it('shows annotators as aliases, saves a gold label and rejects with a comment', async () => {
    const b = MockBackend.withDemo();
    await released(b, ['ari', 'noor'], 2);
    for (const [who, label] of [['ari', 'Person'], ['noor', 'Date']] as const) {
      b.signInAs(who);
      const [q] = await b.invoke<{ assignment_id: string }[]>('my_queue');
      const v = await b.invoke<{ text: string }>('open_assignment', { assignmentId: q!.assignment_id });
      const at = new TextEncoder().encode(v.text.slice(0, v.text.indexOf('Harrowgate'))).length;
      await b.invoke('save_annotation', { assignmentId: q!.assignment_id, value: { spans: [{ start: at, end: at + 10, label }], labels: [], boxes: [], polygons: [] }, reason: null });
      await b.invoke('submit_annotation', { assignmentId: q!.assignment_id });
    }
    const { backend } = await boot({ as: 'rui', hash: '#/review', backend: b });
    await screen.findByTestId('review-col-A1');
    expect(screen.getByTestId('review-col-A2')).toBeTruthy();
    expect(document.body.textContent).not.toContain('noor');
    await fireEvent.keyDown(window, { key: '1' });
    await fireEvent.keyDown(window, { key: 'a' });
    expect((await screen.findByTestId('review-msg')).textContent).toContain('Gold label saved');
    await fireEvent.click(screen.getByTestId('review-reject-A2'));
    await fireEvent.input(screen.getByTestId('review-comment'), { target: { value: 'Harrowgate is a place' } });
    await fireEvent.click(screen.getByTestId('review-send'));
    await waitFor(() => expect(backend.calls.some((c) => c.cmd === 'review_decide' && (c.args as { decision: { decision: string } }).decision.decision === 'reject')).toBe(true));
    window.location.hash = '#/agreement';
    const metrics = await screen.findByTestId('agreement-metrics');
    expect(metrics.textContent).toContain('1 / 1');
    expect(metrics.textContent).toContain('low n');
  });
});
