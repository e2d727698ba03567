import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../../src/daemon/lifecycle.js';

describe('Lifecycle', () => {
  it('stops the parts newest first, each once', async () => {
    const order: string[] = [];
    const l = new Lifecycle();
    for (const name of ['database', 'federation', 'plugins', 'control socket'])
      l.started(name, () => void order.push(name));
    expect(l.parts).toEqual(['database', 'federation', 'plugins', 'control socket']);
    await l.stopAll(() => {});
    expect(order).toEqual(['control socket', 'plugins', 'federation', 'database']);
    await l.stopAll(() => {});
    expect(order).toHaveLength(4);
    expect(l.parts).toEqual([]);
  });

  it('waits for each asynchronous stop before the next, and a part that fails does not keep the rest running', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const l = new Lifecycle();
    l.started('database', () => void order.push('database'));
    l.started('plugins', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('plugins');
    });
    l.started('federation', () => {
      throw new Error('socket busy');
    });
    l.started('subscriptions', () => void order.push('subscriptions'));
    await l.stopAll((part, err) => errors.push(`${part}: ${(err as Error).message}`));
    expect(order).toEqual(['subscriptions', 'plugins', 'database']);
    expect(errors).toEqual(['federation: socket busy']);
  });
});
