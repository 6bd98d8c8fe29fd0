// Airlock has no network features. These checks read the UI's own sources and the
// desktop shell's configuration: no network API is called, no remote URL is referenced,
// and the content-security policy allows only the app itself and Tauri's IPC.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const UI = join(__dirname, '..');
const SRC = join(UI, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Source text without comments (the generated bindings carry a link to ts-rs in one). */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/<!--[\s\S]*?-->/g, '');
}

const sources = files(SRC).filter((p) => /\.(ts|svelte|css|html)$/.test(p));

describe('no network', () => {
  it('finds the sources it checks', () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  it.each(['fetch(', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'sendBeacon', 'import(\'http'])(
    'never uses %s',
    (api) => {
      const users = sources.filter((p) => code(p).includes(api)).map((p) => relative(UI, p));
      expect(users).toEqual([]);
    },
  );

  it('references no remote URL', () => {
    const remote = /\b(?:https?|wss?):\/\/(?!ipc\.localhost\b)[^\s'"`)]+/g;
    const found = [...sources, join(UI, 'index.html')].flatMap((p) =>
      [...code(p).matchAll(remote)].map((m) => `${relative(UI, p)}: ${m[0]}`),
    );
    expect(found).toEqual([]);
  });

  it('the desktop CSP allows only the app and its IPC', () => {
    const conf = JSON.parse(readFileSync(join(UI, '..', 'src-tauri', 'tauri.conf.json'), 'utf8'));
    const csp: string = conf.app.security.csp;
    const directives = Object.fromEntries(
      csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(['ipc:', 'http://ipc.localhost']);
    expect(directives['font-src']).toEqual(["'self'"]);
    // Images come from the app, from data: URLs, or from blob: URLs made in the page (guideline pages).
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    for (const [name, values] of Object.entries(directives)) {
      for (const v of values as string[]) {
        expect(v === 'http://ipc.localhost' || !/^(https?|wss?):/.test(v), `${name} ${v}`).toBe(true);
      }
    }
    expect(conf.plugins ?? {}).toEqual({});
  });
});
