import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from './backend/errors';
import { errorText } from './error-text';
import { setLang } from './i18n';

describe('errors in the screen language', () => {
  afterEach(() => setLang('zh-CN'));

  it('words the codes it knows in Chinese, with the backend detail where only it knows', () => {
    setLang('zh-CN');
    expect(errorText(new BackendError('invalid', 'amount: must be greater than zero', { field: 'amount' }))).toBe('金额有误：must be greater than zero');
    expect(errorText(new BackendError('no_account', 'no enabled account can take alipay qr payments', { method: 'alipay', kind: 'qr' }))).toBe('没有可用的收款账户能收支付宝');
    expect(errorText(new BackendError('unreachable', 'cannot reach alipay: connection failed'))).toContain('连不上支付渠道');
    expect(errorText(new BackendError('unsettled', 'order P1: the outcome is not settled …', { order_no: 'P20261206T1000001' }))).toContain('P20261206T1000001');
    expect(errorText({ code: 'storage', message: 'the book could not be read or written; see the log' })).toBe('账本无法读写，请查看日志');
  });

  it('words a problem the backend coded, and a channel refusal in the channel\'s own words', () => {
    setLang('zh-CN');
    expect(errorText(new BackendError('invalid', 'amount: amount "12.345" has more than two decimal places', { field: 'amount', problem: 'amount.too_precise' }))).toBe('金额有误：最多两位小数（分）');
    expect(errorText(new BackendError('invalid', 'amount: amount 5000 exceeds the maximum of 1000.00 yuan', { field: 'amount', problem: 'amount.too_large', max: '1000.00' }))).toBe('金额有误：超过单笔上限 ¥1000.00');
    const refused = new BackendError('rejected', 'alipay refused: 交易已经关闭 (ACQ.TRADE_HAS_CLOSE)', { channel: 'alipay', channel_code: 'ACQ.TRADE_HAS_CLOSE', channel_message: '交易已经关闭' });
    expect(errorText(refused)).toBe('支付渠道拒绝了请求：交易已经关闭 (ACQ.TRADE_HAS_CLOSE)');
    setLang('en');
    expect(errorText(refused)).toBe('alipay refused: 交易已经关闭 (ACQ.TRADE_HAS_CLOSE)');
  });

  it('keeps what it cannot word, and Chinese the backend already wrote', () => {
    setLang('zh-CN');
    expect(errorText(new BackendError('no_shift', 'no shift is open'))).toBe('no shift is open');
    expect(errorText(new BackendError('invalid', '此主目录已有 Paydesk 服务在运行'))).toBe('此主目录已有 Paydesk 服务在运行');
  });

  it('shows the backend message as it is on the English screen', () => {
    setLang('en');
    expect(errorText(new BackendError('invalid', 'amount: must be greater than zero', { field: 'amount' }))).toBe('amount: must be greater than zero');
  });
});
