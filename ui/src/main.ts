import { mount } from 'svelte';
import App from './App.svelte';
import { inTauri, TauriBackend } from './lib/api/backend';
import { setBackend } from './lib/api/commands';
import './app.css';

async function boot(): Promise<void> {
  if (inTauri()) {
    setBackend(new TauriBackend());
  } else {
    // A plain browser (`npm run dev`): an in-memory fake so the screens can be seen and tried.
    const { MockBackend } = await import('./lib/api/mockBackend');
    setBackend(new MockBackend({ latencyMs: 60, loginLatencyMs: 800 }));
  }
  const target = document.getElementById('app');
  if (!target) throw new Error('#app missing from index.html');
  mount(App, { target });
}

void boot();
