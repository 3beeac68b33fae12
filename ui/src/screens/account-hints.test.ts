import { describe, expect, it } from 'vitest';
import { hintKey } from './account-hints';
import { en } from '../i18n/en';
import { zhCN as zh } from '../i18n/zh-CN';

describe('account hints', () => {
  it('names the keys of the channels that have one, in both languages', () => {
    expect(hintKey('unionpay')).toBe('account.hint.unionpay');
    expect(hintKey(' template ')).toBe('account.hint.template');
    expect(hintKey('alipay')).toBeNull();
    for (const dict of [en, zh] as Record<string, string>[]) {
      expect(dict['account.hint.unionpay']).toContain('mer_id');
      expect(dict['account.hint.unionpay']).toContain('sign_cert_file');
      expect(dict['account.hint.template']).toContain('template_file');
      expect(dict['account.hint.template']).toContain('secret_file');
    }
  });
});
