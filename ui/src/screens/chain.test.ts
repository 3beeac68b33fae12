import { describe, expect, it } from 'vitest';
import { chainSvg, type ChainWords } from './chain';
import { FakeBank, chainDay } from '../backend/fake-bank';
import type { DayChain } from '../backend/bank';

const words: ChainWords = {
  book: 'Book', channel: 'Channel', bank: 'Bank', sales: 'Sales', refunds: 'Refunds', fees: 'Fees', expected: 'Expected', deposited: 'Deposited',
  noFunds: 'Fund flow not read', noBank: 'No bank statement', link: { agree: 'agrees', differ: 'differs', pending: 'on its way', unknown: 'not known' },
};

const state = (svg: string, what: string) => svg.match(new RegExp(`data-link="${what}" data-state="(\\w+)"`))?.[1];

async function demoChain(): Promise<DayChain> {
  return (await new FakeBank(async () => undefined, () => 'tester').overview(null)).chain;
}

describe('the chain picture', () => {
  it('draws three boxes with their money and colours each arrow by its link', async () => {
    const c = await demoChain();
    const svg = chainSvg(c, words);
    expect(svg.startsWith('<svg') && svg.endsWith('</svg>')).toBe(true);
    expect((svg.match(/<rect class="chain-box/g) ?? []).length).toBe(3);
    // Book: sales − refunds of the three store accounts; channel: their net after fees.
    expect(svg).toContain(`¥${((c.book.sales - c.book.refunds) / 100).toFixed(2)}`);
    expect(svg).toContain('¥225.72');
    expect(state(svg, 'book-channel')).toBe('agree');
    // WeChat Pay's payout arrived one yuan short.
    expect(state(svg, 'channel-bank')).toBe('differ');
    expect(svg).toContain('differs −¥1.00');
    expect(svg).toContain('class="chain-link link-differ"');
  });

  it('says what is not known yet and escapes text', async () => {
    const c: DayChain = { ...(await demoChain()), accounts: [], bank_covered_to: null, book_channel: { state: 'unknown', difference: 0 }, channel_bank: { state: 'pending', difference: 0 } };
    const svg = chainSvg(c, { ...words, bank: 'Bank <&> "deposits"' });
    expect(svg).toContain('Fund flow not read');
    expect(svg).toContain('No bank statement');
    expect(state(svg, 'channel-bank')).toBe('unknown');
    expect(svg).toContain('Bank &lt;&amp;&gt; &quot;deposits&quot;');
    expect(svg).not.toContain('<&>');
  });

  it('turns the bank arrow green once the difference is resolved and the last deposit is in', async () => {
    const bank = new FakeBank(async () => undefined, () => 'tester');
    const o = await bank.overview(chainDay());
    await expect(bank.resolve(o.items[0].id, '  ')).rejects.toThrow('note');
    await bank.resolve(o.items[0].id, '银行扣了 1 元跨行手续费');
    expect(state(chainSvg((await bank.overview(null)).chain, words), 'channel-bank')).toBe('pending');
    await bank.import({ name: 'ccb.csv', bytes: Array.from({ length: 64 }, () => 65) }, 'ccb');
    expect(state(chainSvg((await bank.overview(null)).chain, words), 'channel-bank')).toBe('agree');
  });
});
