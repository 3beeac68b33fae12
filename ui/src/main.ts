// Entry of the main (cashier) window.
import './styles.css';
import { pickBackend } from './backend/backend';
import { startApp } from './app';

void pickBackend().then((b) => {
  (window as unknown as { __paydesk?: unknown }).__paydesk = { backend: b };
  return startApp(document.getElementById('app')!, b);
});
