import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { boot } from './helpers';

describe('home and break-glass', () => {
  it('shows vault facts and the seven-stage rail', async () => {
    const { backend } = await boot({ as: 'ari' });
    const facts = await screen.findByTestId('vault-facts');
    await waitFor(() => expect(facts.textContent).toContain(backend.vault!.summary.vault_id));
    expect(facts.textContent).toContain('Demo: discharge notes (synthetic)');
    const rail = await screen.findByTestId('stage-rail');
    expect(rail.querySelectorAll('li[data-state]')).toHaveLength(7);
    // Annotators are not offered emergency access.
    expect(screen.queryByTestId('breakglass-start')).toBeNull();
  });

  it('no banner or frame without break_glass_until', async () => {
    await boot({ as: 'rui' });
    expect(screen.queryByTestId('breakglass-banner')).toBeNull();
    expect(document.querySelector('.shell.breakglass')).toBeNull();
  });

  it('starting emergency access calls the backend and shows the banner and red frame', async () => {
    const { backend } = await boot({ as: 'rui' });
    await fireEvent.input(screen.getByTestId('breakglass-reason'), { target: { value: 'Ticket 4411 safety check' } });
    await fireEvent.input(screen.getByTestId('breakglass-minutes'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('breakglass-start'));
    const banner = await screen.findByTestId('breakglass-banner');
    expect(banner.textContent).toMatch(/Emergency access until \d\d:\d\d — every action is flagged/);
    expect(document.querySelector('.shell.breakglass')).not.toBeNull();
    expect(backend.calls.filter((c) => c.cmd === 'start_break_glass')).toEqual([
      { cmd: 'start_break_glass', args: { reason: 'Ticket 4411 safety check', minutes: 30 } },
    ]);
  });

  it('a session that already has break_glass_until shows the banner at once', async () => {
    const until = Date.now() + 45 * 60_000;
    await boot({
      as: 'cora',
      hash: '#/account',
      prepare: (b) => {
        b.session!.breakGlassUntil = until;
      },
    });
    const banner = screen.getByTestId('breakglass-banner');
    const d = new Date(until);
    const hhmm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    expect(banner.textContent).toContain(`Emergency access until ${hhmm} — every action is flagged`);
    expect(document.querySelector('.shell.breakglass')).not.toBeNull();
  });

  it('the banner goes when the session no longer reports break_glass_until', async () => {
    const { ctl } = await boot({
      as: 'rui',
      prepare: (b) => {
        b.session!.breakGlassUntil = Date.now() + 60_000;
      },
    });
    expect(screen.getByTestId('breakglass-banner')).toBeTruthy();
    ctl.updateSession({ ...ctl.session!, break_glass_until: null });
    await waitFor(() => expect(screen.queryByTestId('breakglass-banner')).toBeNull());
  });

  it('requires a reason', async () => {
    const { backend } = await boot({ as: 'cora' });
    await fireEvent.click(screen.getByTestId('breakglass-start'));
    expect(await screen.findByText(/Give a reason/)).toBeTruthy();
    expect(backend.commandCount('start_break_glass')).toBe(0);
  });
});
