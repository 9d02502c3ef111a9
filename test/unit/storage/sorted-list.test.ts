import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byNumber, byNumberPair, SortedList } from "../../../partition/storage/memory/sorted-list.js";

describe("SortedList", () => {
  it("holds what a sorted set holds, in order, through adds and deletes that split and empty its chunks", () => {
    const values = fc.integer({ min: 0, max: 3 * SortedList.CHUNK });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), values), { minLength: 1, maxLength: 6 * SortedList.CHUNK }), (ops) => {
        const list = new SortedList(byNumber);
        const model = new Set<number>();
        for (const [add, value] of ops) {
          if (add && !model.has(value)) {
            list.add(value);
            model.add(value);
          } else {
            expect(list.delete(value)).toBe(model.delete(value));
          }
        }
        const sorted = [...model].sort((a, b) => a - b);
        expect([...list.values()]).toEqual(sorted);
        expect(list.size).toBe(sorted.length);
        expect(list.first()).toBe(sorted[0]);
      }),
      { numRuns: 40 },
    );
  });

  it("drops chunks that empty, and finds its place past them", () => {
    const list = new SortedList(byNumber);
    const n = 4 * SortedList.CHUNK;
    for (let i = 0; i < n; i++) list.add(i);
    for (let i = 0; i < n / 2; i++) expect(list.delete(i)).toBe(true);
    expect(list.first()).toBe(n / 2);
    for (let i = n / 2 - 3; i < n / 2; i++) list.add(i);
    for (let i = n / 2 + 10; i < n - 10; i++) list.delete(i);
    const expected = [n / 2 - 3, n / 2 - 2, n / 2 - 1, ...Array.from({ length: 10 }, (_, i) => n / 2 + i), ...Array.from({ length: 10 }, (_, i) => n - 10 + i)];
    expect([...list.values()]).toEqual(expected);
    expect([list.first(), list.size]).toEqual([n / 2 - 3, expected.length]);
  });

  it("orders ascending and descending runs of pairs alike, past many chunks", () => {
    const list = new SortedList(byNumberPair);
    const n = 5 * SortedList.CHUNK;
    for (let i = n; i > 0; i--) list.add([i % 7, i]);
    for (let i = 1; i <= n; i++) list.add([i % 7, -i]);
    const got = [...list.values()];
    const expected = [...got].sort(byNumberPair);
    expect(got).toEqual(expected);
    expect(got).toHaveLength(2 * n);
    for (let i = 1; i <= n; i++) expect(list.delete([i % 7, i])).toBe(true);
    expect(list.delete([0, 1])).toBe(false);
    expect([...list.values()].every(([, seq]) => seq < 0)).toBe(true);
  });
});
