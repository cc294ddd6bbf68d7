import { describe, expect, it } from 'vitest';
import {
  addBox,
  applyKey,
  deleteBox,
  describeBox,
  fromPredictions,
  keyAction,
  moveBox,
  resizedBox,
  resolveTags,
  selectBox,
  setBoxTag,
  toRegions,
  untaggedBoxes,
  MIN_BOX_SIDE,
} from '../../../src/teach/editor/editor-state.ts';

const tags = [
  { id: 't-cup', name: 'cup' },
  { id: 't-dog', name: 'dog' },
];
const cup = {
  probability: 0.9,
  tagId: 'model-cup',
  tagName: 'Cup',
  boundingBox: { left: 0.32, top: 0.1, width: 0.2, height: 0.15 },
};

describe('editor state', () => {
  it("turns the model's boxes into proposals tagged with the project's tag of that name", () => {
    const state = fromPredictions([cup, { probability: 0.8, tagId: 'x', tagName: 'whole image' }], tags);
    expect(state.boxes).toHaveLength(1); // a prediction without a box (classification) proposes none
    expect(state.boxes[0]).toMatchObject({ tagId: 't-cup', tagName: 'cup', proposed: true });
  });

  it('ties proposals to tags that arrived after them', () => {
    const state = resolveTags(fromPredictions([cup], []), tags);
    expect(state.boxes[0]!.tagId).toBe('t-cup');
  });

  it('names each box for a screen reader', () => {
    const box = fromPredictions([cup], tags).boxes[0]!;
    expect(describeBox(box)).toBe(
      'cup, 32 % from the left, 10 % from the top, 20 % wide, 15 % tall, proposed by the model',
    );
  });

  it('moves a box and keeps it on the picture; a moved proposal is no longer only proposed', () => {
    let state = fromPredictions([cup], tags);
    const id = state.boxes[0]!.id;
    state = moveBox(state, id, 0.1, 0);
    expect(state.boxes[0]!.left).toBeCloseTo(0.42, 9);
    expect(state.boxes[0]!.proposed).toBe(false);
    state = moveBox(state, id, 5, 5);
    expect(state.boxes[0]!.left + state.boxes[0]!.width).toBeCloseTo(1, 9);
    expect(state.boxes[0]!.top + state.boxes[0]!.height).toBeCloseTo(1, 9);
  });

  it('resizes from any side without crossing the opposite one', () => {
    const from = { left: 0.2, top: 0.2, width: 0.2, height: 0.2 };
    expect(resizedBox(from, { x: 'left', y: undefined }, -0.1, 0)).toEqual({
      left: 0.1,
      top: 0.2,
      width: 0.30000000000000004,
      height: 0.2,
    });
    const crushed = resizedBox(from, { x: 'right', y: 'bottom' }, -1, -1);
    expect(crushed.width).toBeCloseTo(MIN_BOX_SIDE, 9);
    expect(crushed.height).toBeCloseTo(MIN_BOX_SIDE, 9);
  });

  it('keys: arrows move, Shift+arrows resize, Delete removes and selects the next, Enter accepts', () => {
    let state = addBox(fromPredictions([cup], tags), { left: 0.6, top: 0.6, width: 0.1, height: 0.1 });
    const [first, second] = state.boxes;
    state = applyKey(state, first!.id, keyAction('ArrowRight', { shift: false, alt: false })!);
    expect(state.boxes[0]!.left).toBeCloseTo(0.33, 9);
    state = applyKey(state, first!.id, keyAction('ArrowDown', { shift: true, alt: false })!);
    expect(state.boxes[0]!.height).toBeCloseTo(0.16, 9);
    expect(state.boxes[0]!.width).toBeCloseTo(0.2, 9);
    state = selectBox(state, first!.id);
    state = applyKey(state, first!.id, keyAction('Delete', { shift: false, alt: false })!);
    expect(state.boxes.map((b) => b.id)).toEqual([second!.id]);
    expect(state.selectedId).toBe(second!.id);
    expect(keyAction('Enter', { shift: false, alt: false })).toEqual({ kind: 'accept' });
    expect(keyAction('a', { shift: false, alt: false })).toBeUndefined();
  });

  it('sends only tagged boxes as regions and reports the untagged ones', () => {
    let state = addBox(fromPredictions([cup], tags));
    const drawn = state.boxes[1]!;
    expect(untaggedBoxes(state).map((b) => b.id)).toEqual([drawn.id]);
    expect(toRegions(state)).toHaveLength(1);
    state = setBoxTag(state, drawn.id, tags[1]!);
    expect(untaggedBoxes(state)).toHaveLength(0);
    expect(toRegions(state).map((r) => r.tagId)).toEqual(['t-cup', 't-dog']);
    state = deleteBox(state, drawn.id);
    expect(toRegions(state)).toHaveLength(1);
  });

  it('a drawn box takes the last tag used', () => {
    const state = addBox(fromPredictions([], tags), undefined, tags[1]);
    expect(state.boxes[0]).toMatchObject({ tagId: 't-dog', proposed: false });
    expect(state.selectedId).toBe(state.boxes[0]!.id);
  });
});
