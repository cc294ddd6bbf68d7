import { describe, expect, it } from 'vitest';
import { emit } from '../../../src/components/events.ts';

describe('emit', () => {
  it('fires the named event with its detail, bubbling out of shadow roots', () => {
    const host = new EventTarget();
    const seen: CustomEvent[] = [];
    host.addEventListener('sl-open-record', (event) => {
      if (event instanceof CustomEvent) seen.push(event);
    });
    expect(emit(host, 'sl-open-record', { id: 7 })).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'sl-open-record',
      detail: { id: 7 },
      bubbles: true,
      composed: true,
    });
  });

  it('gives an event without a detail null', () => {
    const host = new EventTarget();
    let detail: unknown = 'unset';
    host.addEventListener('sl-confirm', (event) => {
      if (event instanceof CustomEvent) detail = event.detail;
    });
    emit(host, 'sl-confirm');
    expect(detail).toBeNull();
  });
});
