import { describe, expect, it } from 'vitest';
import { linkText, storesOf } from './shop';
import { FakeBackend } from './backend/fake';
import type { LinkStatus } from './backend/types';

const link = (l: Partial<LinkStatus>): LinkStatus => ({ state: 'off', till: 'T2', store: 'S1', url: null, pending: 0, last_sync: null, offline_since: null, last_error: null, tills: [], ...l });

describe('the shared book', () => {
  it('says how the link stands, and nothing for a single till', () => {
    expect(linkText(link({ state: 'off' }))).toBe('');
    expect(linkText(link({ state: 'synced' }))).toBe('账本已同步');
    expect(linkText(link({ state: 'behind', pending: 12 }))).toBe('待同步 12 条');
    const since = new Date(2026, 0, 1, 14, 2).toISOString();
    expect(linkText(link({ state: 'offline', offline_since: since }))).toBe('离线（自 14:02）');
    expect(linkText(link({ state: 'offline' }))).toBe('离线');
  });

  it('lists each store once', () => {
    expect(storesOf([{ till: 'T1', store: 'S1' }, { till: 'T2', store: 'S1' }, { till: 'T3', store: 'S2' }, { till: 'T9', store: '' }])).toEqual(['S1', 'S2']);
  });

  it('narrows orders to a store or a till of the chain', async () => {
    const b = new FakeBackend({ latency: 1, shop: true });
    await b.login('李老板', '999999');
    await b.barcodePay('5.00', '990000000000000001', 'sale-1');
    const tills = async (f: { store?: string; till?: string }) => (await b.listOrders(f)).map((o) => o.till).sort();
    expect(await tills({})).toEqual(['T1', 'T2', 'T3']);
    expect(await tills({ store: 'S1' })).toEqual(['T1', 'T2']);
    expect(await tills({ store: 'S2' })).toEqual(['T3']);
    expect(await tills({ till: 'T2' })).toEqual(['T2']);
    expect((await b.tillStores()).length).toBe(3);
  });

  it('joins a shop at first run, refusing a taken till id', async () => {
    const b = new FakeBackend({ latency: 1, needsSetup: true });
    const input = { url: 'postgres://paydesk@192.168.1.10/shop', password: 'pw', till: 'T2', store: 'S1', shop_key_file: null };
    await expect(b.joinShared(input)).rejects.toThrow(/already a till of store S1/);
    await expect(b.joinShared({ ...input, till: 'T4', shop_key_file: '/nowhere/shop.key' })).rejects.toThrow(/shop_key_file/);
    await expect(b.joinShared({ ...input, url: 'mysql://x' })).rejects.toThrow(/shared.url/);
    const r = await b.joinShared({ ...input, till: 'T4' });
    expect(r.verified).toBe(true);
    const info = await b.appInfo();
    expect(info.needs_setup).toBe(false);
    expect(info.users.map((u) => u.name)).toContain('李老板');
    expect((await b.linkStatus()).state).toBe('synced');
  });
});
