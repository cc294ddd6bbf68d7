// The teach editor's boxes as data: what is proposed (the model's boxes) and what the person made of them,
// which box is selected, and every operation on them (move, resize, draw, delete, tag, accept). Pure and
// immutable, so the element only renders a state and hands gestures and keys to these functions, and the
// same operations serve touch, mouse and keyboard alike. Coordinates are fractions of the picture, as
// Custom Vision takes regions, so nothing here depends on how the picture is shown on screen.
import type { BoundingBox, Prediction } from '../../api/prediction-types.ts';
import type { TrainingRegion } from '../../api/training-client.ts';

export interface EditorBox extends BoundingBox {
  /** Stable within one editing session (for focus and keys in a list). */
  readonly id: string;
  /** The project's tag for this box; undefined until the person picks one for a drawn box. */
  readonly tagId: string | undefined;
  /**
   * The tag's name; '' for a drawn box not tagged yet. A name without a tagId is the model's name for a
   * proposal the project has no tag of (or whose tags have not arrived yet): see modelOnlyTag.
   */
  readonly tagName: string;
  /** A box the model proposed and the person has not touched or accepted yet. */
  readonly proposed: boolean;
}

export interface EditorState {
  readonly boxes: readonly EditorBox[];
  readonly selectedId: string | undefined;
  /** A counter for new ids, so ids are never reused within a session. */
  readonly nextId: number;
}

export interface ProjectTag {
  readonly id: string;
  readonly name: string;
}

/** The smallest box (a fraction of each side): smaller ones cannot be tapped and teach nothing. */
export const MIN_BOX_SIDE = 0.01;
/** How far one arrow key press moves or resizes a box (a fraction of the picture). */
export const KEY_STEP = 0.01;
/** A box drawn with the keyboard ("Add box") starts this big, centred. */
const NEW_BOX_SIDE = 0.2;

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

export const emptyEditor = (): EditorState => ({ boxes: [], selectedId: undefined, nextId: 1 });

/**
 * The model's boxes as proposals, tagged with the project's tag of the same name (case-insensitive) when it
 * has one, so that a correct proposal needs no more than being accepted.
 */
export function fromPredictions(
  predictions: readonly Prediction[],
  tags: readonly ProjectTag[],
): EditorState {
  let state = emptyEditor();
  for (const prediction of predictions) {
    if (!prediction.boundingBox) continue;
    const tag = findTag(tags, prediction.tagName);
    const id = `b${state.nextId}`;
    const box = clampBox(prediction.boundingBox);
    state = {
      ...state,
      nextId: state.nextId + 1,
      boxes: [
        ...state.boxes,
        { id, ...box, tagId: tag?.id, tagName: tag?.name ?? prediction.tagName, proposed: true },
      ],
    };
  }
  return state;
}

export function findTag(tags: readonly ProjectTag[], name: string): ProjectTag | undefined {
  const wanted = name.trim().toLowerCase();
  return tags.find((tag) => tag.name.toLowerCase() === wanted);
}

/** Ties proposals whose tag was named but unknown (tags arrived after the proposals) to the project's tags. */
export function resolveTags(state: EditorState, tags: readonly ProjectTag[]): EditorState {
  return {
    ...state,
    boxes: state.boxes.map((box) => {
      if (box.tagId !== undefined) return box;
      const tag = findTag(tags, box.tagName);
      return tag ? { ...box, tagId: tag.id, tagName: tag.name } : box;
    }),
  };
}

/** Keeps a box within the picture and at least the minimum size. */
export function clampBox(box: BoundingBox): BoundingBox {
  const width = clamp(box.width, MIN_BOX_SIDE, 1);
  const height = clamp(box.height, MIN_BOX_SIDE, 1);
  return {
    left: clamp(box.left, 0, 1 - width),
    top: clamp(box.top, 0, 1 - height),
    width,
    height,
  };
}

function update(state: EditorState, id: string, change: (box: EditorBox) => EditorBox): EditorState {
  return { ...state, boxes: state.boxes.map((box) => (box.id === id ? change(box) : box)) };
}

export const selectBox = (state: EditorState, id: string | undefined): EditorState => ({
  ...state,
  selectedId: id !== undefined && state.boxes.some((box) => box.id === id) ? id : undefined,
});

/** Moves a box by (dx, dy) fractions, keeping its size and keeping it on the picture. */
export function moveBox(state: EditorState, id: string, dx: number, dy: number): EditorState {
  return update(state, id, (box) => ({
    ...box,
    ...clampBox({ ...box, left: box.left + dx, top: box.top + dy }),
    proposed: false,
  }));
}

/** Puts a box at an absolute place (a drag computes it from where the drag began). */
export function placeBox(state: EditorState, id: string, to: BoundingBox): EditorState {
  return update(state, id, (box) => ({ ...box, ...clampBox(to), proposed: false }));
}

/** Which corner or edge a resize drags: any combination of one horizontal and one vertical side. */
export interface ResizeHandle {
  readonly x: 'left' | 'right' | undefined;
  readonly y: 'top' | 'bottom' | undefined;
}

/**
 * The box `from` with the named sides moved by (dx, dy) fractions. A side is never dragged past the opposite
 * one (the box keeps the minimum size) nor off the picture.
 */
export function resizedBox(from: BoundingBox, handle: ResizeHandle, dx: number, dy: number): BoundingBox {
  let left = from.left;
  let right = from.left + from.width;
  let top = from.top;
  let bottom = from.top + from.height;
  if (handle.x === 'left') left = clamp(left + dx, 0, right - MIN_BOX_SIDE);
  if (handle.x === 'right') right = clamp(right + dx, left + MIN_BOX_SIDE, 1);
  if (handle.y === 'top') top = clamp(top + dy, 0, bottom - MIN_BOX_SIDE);
  if (handle.y === 'bottom') bottom = clamp(bottom + dy, top + MIN_BOX_SIDE, 1);
  return { left, top, width: right - left, height: bottom - top };
}

/** Grows or shrinks a box from its bottom-right corner (the keyboard's Shift+arrows). */
export function resizeBox(state: EditorState, id: string, dx: number, dy: number): EditorState {
  return update(state, id, (box) => ({
    ...box,
    ...resizedBox(box, { x: 'right', y: 'bottom' }, dx, dy),
    proposed: false,
  }));
}

/**
 * Adds a box the person drew (or, without a place, a box in the middle for the keyboard) and selects it.
 * Its tag is the last one used, when there is one, since people tend to teach several of the same thing.
 */
export function addBox(state: EditorState, place?: BoundingBox, tag?: ProjectTag): EditorState {
  const id = `b${state.nextId}`;
  const where = clampBox(
    place ?? {
      left: (1 - NEW_BOX_SIDE) / 2,
      top: (1 - NEW_BOX_SIDE) / 2,
      width: NEW_BOX_SIDE,
      height: NEW_BOX_SIDE,
    },
  );
  const box: EditorBox = { id, ...where, tagId: tag?.id, tagName: tag?.name ?? '', proposed: false };
  return { boxes: [...state.boxes, box], selectedId: id, nextId: state.nextId + 1 };
}

/** Removes a box; the selection moves to the next box (or the previous one at the end), for the keyboard. */
export function deleteBox(state: EditorState, id: string): EditorState {
  const index = state.boxes.findIndex((box) => box.id === id);
  if (index < 0) return state;
  const boxes = state.boxes.filter((box) => box.id !== id);
  const next = boxes[Math.min(index, boxes.length - 1)];
  return { ...state, boxes, selectedId: state.selectedId === id ? next?.id : state.selectedId };
}

export function setBoxTag(state: EditorState, id: string, tag: ProjectTag): EditorState {
  return update(state, id, (box) => ({ ...box, tagId: tag.id, tagName: tag.name, proposed: false }));
}

/** The person says a proposal is right as it is. */
export function acceptBox(state: EditorState, id: string): EditorState {
  return update(state, id, (box) => ({ ...box, proposed: false }));
}

/** Boxes that cannot be sent yet: a region without a tag would be refused by Custom Vision. */
export const untaggedBoxes = (state: EditorState): readonly EditorBox[] =>
  state.boxes.filter((box) => box.tagId === undefined);

/**
 * The regions to send. Confirming the teach accepts the proposals still on the picture (the person saw them
 * and left them there); untagged boxes are for the caller to refuse beforehand (see untaggedBoxes).
 */
export function toRegions(state: EditorState): TrainingRegion[] {
  return state.boxes.flatMap((box) =>
    box.tagId === undefined
      ? []
      : [{ tagId: box.tagId, left: box.left, top: box.top, width: box.width, height: box.height }],
  );
}

/**
 * The model's name on a box that has no project tag, once the project's tags are known: the model that
 * proposed it names things the training project does not (another export chosen in settings, or a tag
 * renamed since). Only proposals carry a name without a tag: drawn and retagged boxes get both or neither.
 */
export const modelOnlyTag = (box: EditorBox): string | undefined =>
  box.tagId === undefined && box.tagName !== '' ? box.tagName : undefined;

/** The model's names the project has no tag of, each once, in the order of their boxes. */
export function modelOnlyTags(state: EditorState): string[] {
  const names = state.boxes.flatMap((box) => modelOnlyTag(box) ?? []);
  return [...new Set(names)];
}

const quoted = (names: readonly string[]): string => names.map((name) => `“${name}”`).join(', ');

/**
 * What the editor says when proposals name tags the project lacks: those boxes are left untagged (never
 * sent under a tag the project does not have) for the person to tag or delete. Undefined when none do.
 */
export function describeModelOnlyTags(
  names: readonly string[],
  project: string,
  canCreateTags: boolean,
): string | undefined {
  if (names.length === 0) return undefined;
  const one = names.length === 1;
  return (
    `The project “${project}” has no ${one ? 'tag' : 'tags'} ${quoted(names)}: the model's boxes with ` +
    `${one ? 'that name' : 'those names'} are left untagged. Pick a tag for each` +
    `${canCreateTags ? ' (or add a new tag below)' : ''}, or delete them.`
  );
}

/** The same for a classification project, whose proposal is the model's best guess for the picture. */
export const describeModelOnlyGuess = (guess: string, project: string): string =>
  `The project “${project}” has no tag “${guess}” (the model's guess): pick this picture's tags yourself.`;

const percent = (fraction: number): string => `${Math.round(fraction * 100)} %`;

/**
 * What a screen reader says for a box: its tag, where it is and how big, and whether it is still only the
 * model's proposal ("cup, 32 % from the left, 10 % from the top, 20 % wide, 15 % tall, proposed").
 */
export function describeBox(box: EditorBox, tagsKnown = true): string {
  // While the project's tags are still loading, a proposal's name is not known to be missing yet.
  const modelOnly = tagsKnown ? modelOnlyTag(box) : undefined;
  const name =
    box.tagName === ''
      ? 'untagged box'
      : modelOnly !== undefined
        ? `untagged box the model called ${modelOnly}`
        : box.tagName;
  const parts = [
    name,
    `${percent(box.left)} from the left`,
    `${percent(box.top)} from the top`,
    `${percent(box.width)} wide`,
    `${percent(box.height)} tall`,
  ];
  if (box.proposed) parts.push('proposed by the model');
  return parts.join(', ');
}

/** What a key does to the selected box; undefined when the key is not the editor's. */
export type KeyAction =
  | { readonly kind: 'move'; readonly dx: number; readonly dy: number }
  | { readonly kind: 'resize'; readonly dx: number; readonly dy: number }
  | { readonly kind: 'delete' }
  | { readonly kind: 'accept' };

const ARROWS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/**
 * Arrows move the box one step, Shift+arrows resize it (right and down grow, left and up shrink), Alt makes
 * the step a tenth for fine work, Delete or Backspace removes it, Enter accepts it.
 */
export function keyAction(key: string, modifiers: { shift: boolean; alt: boolean }): KeyAction | undefined {
  const arrow = ARROWS[key];
  if (arrow) {
    const step = modifiers.alt ? KEY_STEP / 10 : KEY_STEP;
    const [dx, dy] = arrow;
    return { kind: modifiers.shift ? 'resize' : 'move', dx: dx * step, dy: dy * step };
  }
  if (key === 'Delete' || key === 'Backspace') return { kind: 'delete' };
  if (key === 'Enter') return { kind: 'accept' };
  return undefined;
}

/** Applies a key's action to a box. */
export function applyKey(state: EditorState, id: string, action: KeyAction): EditorState {
  switch (action.kind) {
    case 'move':
      return moveBox(state, id, action.dx, action.dy);
    case 'resize':
      return resizeBox(state, id, action.dx, action.dy);
    case 'delete':
      return deleteBox(state, id);
    case 'accept':
      return acceptBox(state, id);
  }
}
