import { invoke as tauriInvoke } from '@tauri-apps/api/core';
import { listen as tauriListen } from '@tauri-apps/api/event';
import { ERROR_CODES, type AppError, type ErrorCode } from './types';

/** The one seam between the UI and whatever runs the commands (Tauri IPC or an in-memory fake). */
export interface IBackend {
  /** Runs `cmd`; resolves with its value or rejects with an `AppError` (never anything else). */
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls `handler` with each payload of backend event `event`; resolves to an unsubscribe. */
  listen<T>(event: string, handler: (payload: T) => void): Promise<() => void>;
}

const UNEXPECTED: AppError = { code: 'internal', message: 'Unexpected error.' };

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** True when `value` has exactly the `{code, message}` shape the backend promises. */
export function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isErrorCode(v.code) && typeof v.message === 'string';
}

/**
 * Normalises anything caught from a command into an `AppError`. Anything that is not a
 * `{code, message}` object (a string from the IPC layer, a JS exception) becomes `internal`
 * with a fixed message, so stray text can never reach the screen.
 */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) return { code: value.code, message: value.message };
  return { ...UNEXPECTED };
}

/** Runs commands in the Rust backend through Tauri IPC. */
export class TauriBackend implements IBackend {
  async invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return await tauriInvoke<T>(cmd, args);
    } catch (e) {
      throw toAppError(e);
    }
  }

  async listen<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
    return tauriListen<T>(event, (e) => handler(e.payload));
  }
}

/** True inside the Tauri webview (the IPC bridge is injected before any script runs). */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
