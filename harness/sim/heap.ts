// A binary min-heap of scheduled events ordered by (timeMs, seq). seq is unique and
// grows with every insertion, so two events at the same time always pop in the
// order they were scheduled: the order is total and so the run is deterministic.

export interface Scheduled {
  timeMs: number;
  seq: number;
}

export class EventHeap<T extends Scheduled> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.timeMs < item.timeMs || (p.timeMs === item.timeMs && p.seq < item.seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let c = items[left];
      if (right < n) {
        const r = items[right];
        if (r.timeMs < c.timeMs || (r.timeMs === c.timeMs && r.seq < c.seq)) {
          child = right;
          c = r;
        }
      }
      if (last.timeMs < c.timeMs || (last.timeMs === c.timeMs && last.seq < c.seq)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.items = [];
  }
}
