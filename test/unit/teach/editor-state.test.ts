import { describe, expect, it } from 'vitest';
import {
  addBox,
  applyKey,
  deleteBox,
  describeBox,
  describeModelOnlyGuess,
  describeModelOnlyTags,
  fromPredictions,
  keyAction,
  modelOnlyTags,
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

  it('leaves untagged the proposals of a model whose tags the project lacks (another export), and says so', () => {
    const dog = { ...cup, tagName: 'Dog', boundingBox: { left: 0, top: 0, width: 0.1, height: 0.1 } };
    const horse = { ...cup, tagName: 'horse', boundingBox: { left: 0.5, top: 0.5, width: 0.1, height: 0.1 } };
    const project = [{ id: 't-cup', name: 'cup' }];
    // The tags arrive after the proposals, as in the editor.
    let state = resolveTags(fromPredictions([cup, horse, dog, horse], []), project);
    expect(state.boxes.map((box) => box.tagId)).toEqual(['t-cup', undefined, undefined, undefined]);
    expect(modelOnlyTags(state)).toEqual(['horse', 'Dog']);
    // Never sent under a tag the project does not have: the person tags them first (or deletes them).
    expect(untaggedBoxes(state)).toHaveLength(3);
    expect(toRegions(state).map((region) => region.tagId)).toEqual(['t-cup']);
    const horseBox = state.boxes[1]!;
    expect(describeBox(horseBox)).toMatch(/^untagged box the model called horse, 50 % from the left/);
    // While the tags are still loading, the model's name is not known to be missing.
    expect(describeBox(horseBox, false)).toMatch(/^horse, 50 % from the left/);
    expect(describeModelOnlyTags(modelOnlyTags(state), 'Kitchen', false)).toBe(
      "The project “Kitchen” has no tags “horse”, “Dog”: the model's boxes with those names are left " +
        'untagged. Pick a tag for each, or delete them.',
    );
    expect(describeModelOnlyTags(['horse'], 'Kitchen', true)).toBe(
      "The project “Kitchen” has no tag “horse”: the model's boxes with that name are left untagged. " +
        'Pick a tag for each (or add a new tag below), or delete them.',
    );
    // Tagged by the person, or deleted, a box no longer counts.
    state = setBoxTag(state, horseBox.id, project[0]!);
    state = deleteBox(state, state.boxes[2]!.id);
    expect(modelOnlyTags(state)).toEqual(['horse']);
    state = deleteBox(state, state.boxes[2]!.id);
    expect(modelOnlyTags(state)).toEqual([]);
    expect(describeModelOnlyTags([], 'Kitchen', true)).toBeUndefined();
    expect(describeModelOnlyGuess('red', 'Kitchen')).toContain('“red”');
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
