import { describe, expect, it } from 'vitest';
import { DICTS } from './i18n';
import { probeMessage } from './probe';

describe('connection test message', () => {
  it('speaks the screen language (zh-CN first), the gateway words kept after the summary', () => {
    expect(probeMessage({ ok: true, code: 'ok', detail: 'connected: the gateway accepted our signed request' })).toBe(`✓ ${DICTS['zh-CN']['probe.ok']}`);
    const bad = probeMessage({ ok: false, code: 'signature_invalid', detail: 'alipay: reply signature does not verify' });
    expect(bad).toContain(DICTS['zh-CN']['probe.signature_invalid']);
    expect(bad).toContain('alipay: reply signature does not verify');
    expect(bad).not.toContain('connected');
    // A code newer than the UI still gets a worded summary.
    expect(probeMessage({ ok: false, code: 'brand_new', detail: 'x' })).toContain(DICTS['zh-CN']['probe.failed']);
  });
  it('words every error code a channel reports', () => {
    for (const code of ['unreachable', 'timeout', 'unavailable', 'rejected', 'signature_invalid', 'mismatch', 'protocol', 'config', 'unsupported']) {
      expect(Object.keys(DICTS['zh-CN']), code).toContain(`probe.${code}`);
    }
  });
});
