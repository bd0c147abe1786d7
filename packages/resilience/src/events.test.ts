import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventPublisher } from './events.js';

type E = { type: 'A'; n: number } | { type: 'B' };

describe('EventPublisher', () => {
  test('delivers by type and to catch-all listeners; unsubscribe stops delivery', () => {
    const events = new EventPublisher<E>();
    const seen: string[] = [];
    const off = events.on('A', (e) => seen.push(`A${e.n}`));
    events.onEvent((e) => seen.push(`*${e.type}`));
    assert.equal(events.wants('B'), true);
    events.emit({ type: 'A', n: 1 });
    events.emit({ type: 'B' });
    off();
    events.emit({ type: 'A', n: 2 });
    assert.deepEqual(seen, ['A1', '*A', '*B', '*A']);
  });

  test('reports no listeners when all are removed', () => {
    const events = new EventPublisher<E>();
    const off = events.on('B', () => {});
    assert.equal(events.wants('A'), false);
    off();
    assert.equal(events.hasListeners, false);
  });

  test('a throwing listener is counted and does not stop the others', () => {
    const events = new EventPublisher<E>();
    let delivered = 0;
    events.on('B', () => {
      throw new Error('listener bug');
    });
    events.on('B', () => delivered++);
    events.emit({ type: 'B' });
    assert.equal(delivered, 1);
    assert.equal(events.listenerErrors, 1);
    assert.match(String(events.lastListenerError), /listener bug/);
  });
});
