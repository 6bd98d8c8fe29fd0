import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../src/lib/api/mockBackend';
import { boot, passphraseOf } from './helpers';

describe('deliver (lead)', () => {
  it('reads the recipient fingerprint back and refuses an unencrypted export without confirmation', async () => {
    const fake = MockBackend.withDemo();
    fake.signInAs('lena');
    const schema = await fake.invoke<{ id: string }>('schema_create', { input: { name: 'E', task: 'text_spans', body: { labels: [{ name: 'P', key: null, color: null, description: null }], multi: false }, guideline: '' } });
    await fake.invoke('schema_publish', { schemaId: schema.id });
    const { backend } = await boot({ as: 'lena', hash: '#/deliver', backend: fake });
    await waitFor(() => expect((screen.getByTestId('export-schema') as HTMLSelectElement).value).toBe(schema.id));
    const key = 'age1' + 'q'.repeat(58);
    await fireEvent.input(screen.getByTestId('export-recipients'), { target: { value: key } });
    expect(screen.getByTestId('export-fingerprint').textContent).toContain('age1qqqq');
    await fireEvent.click(screen.getByTestId('export-plaintext'));
    await fireEvent.input(screen.getByTestId('export-reason'), { target: { value: 'to the client' } });
    await fireEvent.click(screen.getByTestId('export-submit'));
    expect((await screen.findByTestId('export-error')).textContent).toContain('plaintext export');
    expect(backend.commandCount('export_deliverable')).toBe(0);
  });
});

describe('retention and destruction (compliance)', () => {
  it('enables destruction only when due and confirmed, then offers to verify the certificate', async () => {
    const fake = MockBackend.withDemo();
    const { backend } = await boot({ as: 'cora', hash: '#/retention', backend: fake });
    await screen.findByTestId('retention-card');
    expect(screen.getByTestId('retention-state').textContent).toContain('No retention date');
    const start = screen.getByTestId('destroy-start') as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('retention-date'), { target: { value: '2000-01-01' } });
    await fireEvent.click(screen.getByTestId('retention-save'));
    await waitFor(() => expect(screen.getByTestId('retention-state').textContent).toContain('destruction is due'));
    await fireEvent.input(screen.getByTestId('destroy-confirm'), { target: { value: 'Demo: discharge notes (synthetic)' } });
    await fireEvent.input(screen.getByTestId('destroy-org'), { target: { value: 'Synthetic Org' } });
    await fireEvent.input(screen.getByTestId('destroy-pass'), { target: { value: passphraseOf('cora') } });
    await waitFor(() => expect((screen.getByTestId('destroy-start') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('destroy-start'));
    await screen.findByTestId('destroy-done');
    await fireEvent.click(screen.getByTestId('destroy-verify'));
    expect((await screen.findByTestId('destroy-verified')).textContent).toContain('✓');
    expect(backend.commandCount('destroy_vault')).toBe(1);
  });
});
