// Hash routing: `#/home`, `#/users`, `#/audit`, `#/account`. The hash survives a lock, so the
// same user comes back to the same page.
import { ROUTES, type Route } from './roles';

/** `#/users` → "users"; empty → "home"; anything unknown → null. */
export function parseHash(hash: string): Route | null {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  if (name === '') return 'home';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : null;
}

export class Router {
  hash = $state(typeof location === 'undefined' ? '' : location.hash);
  route = $derived(parseHash(this.hash));

  private readonly onChange = () => {
    this.hash = location.hash;
  };

  constructor() {
    if (typeof window !== 'undefined') window.addEventListener('hashchange', this.onChange);
  }

  go(route: Route): void {
    location.hash = `#/${route}`;
    this.hash = location.hash;
  }

  destroy(): void {
    if (typeof window !== 'undefined') window.removeEventListener('hashchange', this.onChange);
  }
}
