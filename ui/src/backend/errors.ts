// The error contract: every command fails with {code, message} (src-tauri/src/error.rs).
// Codes listed here are the ones the UI acts on; any other code is shown with its message.

export const CODES = {
  notLoggedIn: 'not_logged_in',
  sessionExpired: 'session_expired',
  reauthRequired: 'reauth_required',
  forbidden: 'forbidden',
  badPin: 'bad_pin',
  locked: 'locked',
  saleInProgress: 'sale_in_progress',
  invalid: 'invalid',
  conflict: 'conflict',
  noAccount: 'no_account',
  limit: 'limit',
} as const;

export class BackendError extends Error {
  /** Structured facts for codes the UI words itself (`limit`). */
  constructor(public code: string, message: string, public details: unknown = null) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Normalises whatever a failed call threw into a BackendError. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const o = e as { code: unknown; message: unknown; details?: unknown };
    return new BackendError(String(o.code), String(o.message), o.details ?? null);
  }
  if (e instanceof Error) return new BackendError('internal', e.message);
  return new BackendError('internal', String(e));
}
