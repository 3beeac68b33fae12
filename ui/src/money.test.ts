import { describe, expect, it } from 'vitest';
import { applyKey, formatFen, formatFenGrouped, isPartialAmount, methodOfCode, parseYuan } from './money';

describe('money', () => {
  it('parses yuan strictly into fen', () => {
    expect(parseYuan('12.34')).toBe(1234);
    expect(parseYuan('0.5')).toBe(50);
    expect(parseYuan('100')).toBe(10000);
    expect(parseYuan('0.07')).toBe(7);
    for (const bad of ['', '12.345', '-1', '01', '1e3', ' 1', '1,000', '.5', '1.']) expect(parseYuan(bad), bad).toBeNull();
  });
  it('never goes through floats (0.1 + 0.2 style amounts stay exact)', () => {
    expect(parseYuan('0.29')).toBe(29);
    expect(parseYuan('1.15')).toBe(115);
    expect(formatFen(115)).toBe('1.15');
    expect(formatFen(7)).toBe('0.07');
    expect(formatFenGrouped(1234567)).toBe('12,345.67');
  });
  it('keypad keys only ever make a valid amount', () => {
    const type = (keys: string[]) => keys.reduce(applyKey, '');
    expect(type(['1', '2', '.', '3', '4'])).toBe('12.34');
    expect(type(['1', '2', '.', '3', '4', '5'])).toBe('12.34');
    expect(type(['.', '5'])).toBe('0.5');
    expect(type(['0', '0', '7'])).toBe('7');
    expect(type(['00'])).toBe('');
    expect(type(['1', '00'])).toBe('100');
    expect(type(['1', '.', '.', '2'])).toBe('1.2');
    expect(type(['9', '9', '⌫'])).toBe('9');
    expect(type(['9', 'C'])).toBe('');
    expect(isPartialAmount('123456789012')).toBe(false);
  });
  it('recognises payment codes by prefix like core does', () => {
    expect(methodOfCode('134567890123456789')).toBe('wechat');
    expect(methodOfCode('284567890123456789')).toBe('alipay');
    expect(methodOfCode('6212345678901234567')).toBe('unionpay');
    expect(methodOfCode('990000000000000001')).toBe('sandbox');
    expect(methodOfCode('164567890123456789')).toBeNull();
    expect(methodOfCode('12.34')).toBeNull();
  });
});
