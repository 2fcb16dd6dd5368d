// The app-path failover figure: the first acknowledgement of a write the killed master cannot have taken.
import { describe, expect, it } from 'vitest';
import { firstAckInvokedAfter } from '../../../src/conformance/app-paths.ts';
import type { Op } from '../../../src/workload/history.ts';

const op = (type: Op['type'], key: string, ns: number): Op => ({ process: 'synapse', type, f: 'write', key, ns });

describe('firstAckInvokedAfter', () => {
  it('ignores acknowledgements of writes invoked before the fault, even when they arrive after it', () => {
    const h = [op('invoke', 'a', 5), op('invoke', 'b', 15), op('ok', 'a', 20), op('info', 'b', 30), op('invoke', 'c', 40), op('ok', 'c', 70), op('ok', 'b', 60)];
    // b was invoked after the fault at 10 and acknowledged (late) at 60: the first such acknowledgement.
    expect(firstAckInvokedAfter(h, 10)).toBe(60);
    expect(firstAckInvokedAfter(h, 16)).toBe(70);
  });

  it('is null when no write invoked after the fault was acknowledged (a client stuck on a replica)', () => {
    expect(firstAckInvokedAfter([op('invoke', 'a', 5), op('ok', 'a', 20), op('invoke', 'b', 25), op('fail', 'b', 26)], 10)).toBeNull();
  });
});
