// What the screen says when a command fails, in the screen's language. The backend's message is
// precise English: the English screen shows it as it is; the Chinese screen words the error by
// its code (and the facts in `details`), keeping the backend's words only as the detail where
// they carry what only it knows (which field, what the channel said).

import { toBackendError } from './backend/errors';
import { hasKey, lang, t, tk, type Key } from './i18n';

const CJK = /[\u3400-\u9fff]/;

/** The text of a failed call for a toast or an error line. */
export function errorText(e: unknown): string {
  const err = toBackendError(e);
  const d = (err.details ?? {}) as Record<string, unknown>;
  if (lang() === 'en' || !hasKey(`err.${err.code}`)) return err.message;
  // Chinese already (from the backend or a channel), unless there are facts to word it better.
  if (CJK.test(err.message) && typeof d.channel_message !== 'string') return err.message;
  // The field: from the details, else the `field: problem` form every invalid message has.
  const named = err.code === 'invalid' ? /^([a-z_]+): /.exec(err.message)?.[1] ?? '' : '';
  const field = typeof d.field === 'string' ? d.field : named;
  // "field: problem" → the problem alone beside the field's own name; worded by its code when the
  // backend gave one; a channel's refusal in the channel's own words.
  const own = field && err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  const problem = typeof d.problem === 'string' && hasKey(`problem.${d.problem}`) ? t(`problem.${d.problem}` as Key, { max: String(d.max ?? '') }) : null;
  const detail = problem ?? (typeof d.channel_message === 'string' && d.channel_message ? `${d.channel_message}${d.channel_code ? ` (${d.channel_code})` : ''}` : own);
  const params: Record<string, string> = {
    field: field ? tk('field', field) : '',
    detail,
    method: typeof d.method === 'string' ? tk('method', d.method) : '',
    order: typeof d.order_no === 'string' ? d.order_no : '',
  };
  return t(`err.${err.code}` as Key, params);
}
