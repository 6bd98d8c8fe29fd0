// What each role may see in this release. The backend enforces the same rules; the UI uses
// these only to avoid offering (or calling) what would be refused.
import type { Role, Stage } from './api/types';

export type Route =
  | 'home'
  | 'receive'
  | 'items'
  | 'deid'
  | 'schemas'
  | 'assign'
  | 'work'
  | 'review'
  | 'agreement'
  | 'deliver'
  | 'packages'
  | 'retention'
  | 'users'
  | 'audit'
  | 'account';

export const ROUTES: readonly Route[] = [
  'home',
  'receive',
  'items',
  'deid',
  'schemas',
  'assign',
  'work',
  'review',
  'agreement',
  'deliver',
  'packages',
  'retention',
  'users',
  'audit',
  'account',
];

const ALLOWED: Record<Route, readonly Role[]> = {
  home: ['lead', 'annotator', 'reviewer', 'compliance'],
  receive: ['lead'],
  items: ['lead'],
  deid: ['lead'],
  schemas: ['lead'],
  assign: ['lead'],
  work: ['annotator'],
  review: ['reviewer'],
  agreement: ['lead', 'reviewer'],
  deliver: ['lead'],
  packages: ['lead', 'annotator'],
  retention: ['lead', 'compliance'],
  users: ['lead', 'compliance'],
  audit: ['lead', 'compliance'],
  account: ['lead', 'annotator', 'reviewer', 'compliance'],
};

/** What a refused page is called in "Your role (x) does not include …". */
export const ROUTE_SUBJECT: Record<Route, string> = {
  home: 'the home page',
  receive: 'receiving data',
  items: 'the item browser',
  deid: 'de-identification review',
  schemas: 'label schemas',
  assign: 'assignment',
  work: 'labelling',
  review: 'review',
  agreement: 'agreement figures',
  deliver: 'delivery',
  packages: 'work packages',
  retention: 'retention and destruction',
  users: 'user management',
  audit: 'the audit log',
  account: 'account settings',
};

export function canVisit(role: Role, route: Route): boolean {
  return ALLOWED[route].includes(role);
}

export function canManageUsers(role: Role): boolean {
  return role === 'lead';
}

export function canBreakGlass(role: Role): boolean {
  return role === 'reviewer' || role === 'compliance';
}

/** What this role can do in Airlock (shown on Home). */
export const ROLE_SUMMARY: Record<Role, { title: string; can: string[] }> = {
  lead: {
    title: 'You run this project.',
    can: [
      'Add users, assign roles and disable accounts',
      'Unlock accounts after repeated failed logins',
      'Read, verify and export the audit log',
      'Receive deliveries (folder, checksum manifest or BagIt bag), verified and encrypted on arrival',
      'De-identify text to HIPAA Safe Harbor, check it beside the original and sign it off',
      'Write versioned label schemas, assign released items with overlap, watch progress and agreement',
      'Deliver labels with their compliance package as a signed, encrypted BagIt bag',
      'Send annotators on other laptops signed, encrypted work packages and merge their results',
    ],
  },
  annotator: {
    title: 'You label the items assigned to you.',
    can: [
      'Change your passphrase and turn on two-step verification',
      'Work through your queue of de-identified items: digits apply labels, Enter submits',
      'Work offline on your own laptop: open the work packages your lead sends and return the result',
      'You never see original (identifiable) data or other annotators’ labels',
    ],
  },
  reviewer: {
    title: 'You review and adjudicate annotations.',
    can: [
      'Start emergency access when patient safety requires it (every action is flagged)',
      'Compare annotators side by side, accept, reject with a comment or set a gold label; check agreement',
      'Annotators appear to you as A1, A2… by default',
    ],
  },
  compliance: {
    title: 'You oversee how this project handles data.',
    can: [
      'Read, verify and export the tamper-evident audit log',
      'See the user list (read-only)',
      'Start emergency access when required (every action is flagged)',
      'Set retention, and at its end destroy the vault and issue the certificate of destruction',
      'You never see content: only ids, actors, actions, times and hashes',
    ],
  },
};

/** The workflow's stages as the home rail names them. */
export const STAGE_NAMES: Record<Stage, string> = {
  receive: 'Receive',
  deidentify: 'De-identify',
  assign: 'Assign',
  annotate: 'Annotate',
  review: 'Review',
  deliver: 'Deliver',
  retain: 'Retain/Destroy',
};

/** The screens that act on a stage, best first; the rail links to the first the role may open. */
const STAGE_ROUTES: Record<Stage, readonly Route[]> = {
  receive: ['receive'],
  deidentify: ['deid'],
  assign: ['assign', 'schemas'],
  annotate: ['work', 'assign'],
  review: ['review', 'agreement'],
  deliver: ['deliver'],
  retain: ['retention'],
};

/** Where a role goes to act on a stage, or null when none of its screens is theirs. */
export function stageRoute(role: Role, stage: Stage): Route | null {
  return STAGE_ROUTES[stage].find((r) => canVisit(role, r)) ?? null;
}
