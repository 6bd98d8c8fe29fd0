import { render, screen } from '@testing-library/svelte';
import App from '../src/App.svelte';
import { setBackend } from '../src/lib/api/commands';
import { MockBackend, type MockOptions } from '../src/lib/api/mockBackend';
import { SessionController } from '../src/lib/session.svelte';

export interface Booted {
  backend: MockBackend;
  ctl: SessionController;
}

/**
 * Renders the whole app against a fresh MockBackend. `as` logs a demo user in first
 * (lena = lead, ari = annotator, rui = reviewer, cora = compliance); `hash` is the start route.
 */
export async function boot(
  opts: {
    as?: string;
    hash?: string;
    vault?: boolean;
    mock?: MockOptions;
    /** Adjusts the fake before the app starts. */
    prepare?: (b: MockBackend) => void;
    /** A fake already prepared (e.g. driven through async commands) to start from. */
    backend?: MockBackend;
  } = {},
): Promise<Booted> {
  const backend = opts.backend ?? (opts.vault === false ? new MockBackend(opts.mock) : MockBackend.withDemo(opts.mock));
  if (opts.as) backend.signInAs(opts.as);
  opts.prepare?.(backend);
  setBackend(backend);
  window.location.hash = opts.hash ?? '';
  const ctl = new SessionController();
  render(App, { props: { controller: ctl } });
  if (opts.as) await screen.findByTestId('role-badge');
  else if (opts.vault === false) await screen.findByTestId('welcome-create');
  else await screen.findByTestId('login-user');
  return { backend, ctl };
}

export function passphraseOf(name: string): string {
  const u = MockBackend.DEMO_USERS.find((d) => d.name === name);
  if (!u) throw new Error(`no demo user ${name}`);
  return u.passphrase;
}
