import { describe, expect, it } from 'vitest';
import { interpret } from './scan';

const typed = (s: string, gap: number, t0 = 0) => Array.from(s, (_, i) => t0 + i * gap);

describe('scan field', () => {
  it('a scanner burst alone is a code', () => {
    expect(interpret('990000000000000001', typed('990000000000000001', 3))).toEqual({ kind: 'code', code: '990000000000000001', amount: null });
  });
  it('an amount typed by hand then a scanner burst splits', () => {
    const text = '12.5' + '990000000000000001';
    const times = [...typed('12.5', 300), ...typed('990000000000000001', 4, 5000)];
    expect(interpret(text, times)).toEqual({ kind: 'code', code: '990000000000000001', amount: '12.5' });
  });
  it('a slow scanner still splits at the hand-over pause', () => {
    const text = '50' + '990000000000000001';
    const times = [0, 0, ...typed('990000000000000001', 40, 3000)];
    expect(interpret(text, times)).toEqual({ kind: 'code', code: '990000000000000001', amount: '50' });
  });
  it('without timing, only an unambiguous split is accepted', () => {
    const text = '12.50990000000000000001';
    expect(interpret(text, typed(text, 1))).toEqual({ kind: 'code', code: '990000000000000001', amount: '12.50' });
    // "1" + WeChat code 128…, or "11" + Alipay code 284…: no pause tells which.
    expect(interpret('1128456789012345678', typed('1128456789012345678', 1)).kind).toBe('garbage');
    expect(interpret('1990000000000000001', typed('1990000000000000001', 1))).toEqual({ kind: 'code', code: '990000000000000001', amount: '1' });
  });
  it('a typed amount, empty and garbage', () => {
    expect(interpret('12.34', typed('12.34', 200))).toEqual({ kind: 'amount', amount: '12.34' });
    expect(interpret('12.', typed('12.', 200))).toEqual({ kind: 'amount', amount: '12' });
    expect(interpret('  ', [0, 1])).toEqual({ kind: 'empty' });
    expect(interpret('hello', typed('hello', 200)).kind).toBe('garbage');
    expect(interpret('164567890123456789', typed('164567890123456789', 2)).kind).toBe('garbage');
  });
});
