// What every screen gets: the backend, the session, navigation and a toast.

import type { Backend } from './backend/backend';
import type { AppInfo, Action, Session } from './backend/types';

export interface Ctx {
  backend: Backend;
  info: AppInfo;
  session: Session | null;
  can(a: Action): boolean;
  go(screen: ScreenName): void;
  toast(text: string, kind?: 'ok' | 'error'): void;
  onLoggedIn(s: Session): void;
  /** Reads the app info again and redraws (after joining a shop's shared book). */
  reload(): Promise<void>;
}

export type ScreenName = 'login' | 'cashier' | 'orders' | 'shifts' | 'analytics' | 'recon' | 'settings' | 'audit';
