import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake';

describe('the fake till day', () => {
  it('needs a shift, records cash with change, counts blind and locks the handover', async () => {
    const b = new FakeBackend({ latency: 1, shiftOpen: false });
    await b.login('王芳', '1111');
    await expect(b.recordTender({ method: 'cash', amount: '10.00', tendered: null, reference: null, sale_id: 'a', sale: null })).rejects.toMatchObject({ code: 'no_shift' });
    await b.openShift('200');
    const o = await b.recordTender({ method: 'cash', amount: '12.30', tendered: '20', reference: null, sale_id: 'b', sale: null });
    expect([o.status, o.kind, o.tendered]).toEqual(['success', 'tender', 2000]);
    await expect(b.recordTender({ method: 'cash', amount: '12.30', tendered: '10', reference: null, sale_id: 'c', sale: null })).rejects.toMatchObject({ code: 'invalid' });
    const x = await b.shiftReport(null);
    expect(x.figures.cash.expected).toBeNull();
    expect(x.figures.gross).toBe(1230);
    const r = await b.closeShift('210.00', null);
    expect([r.locked, r.figures.cash.expected, r.figures.cash.over_short]).toEqual([true, 21230, -1230 + 1000]);
    await expect(b.recordTender({ method: 'card', amount: '1.00', tendered: null, reference: null, sale_id: 'd', sale: null })).rejects.toMatchObject({ code: 'no_shift' });
  });
});
