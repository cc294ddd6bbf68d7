import { css } from 'lit';

export const teachEditorStyles = css`
  dialog {
    width: min(100vw, 1400px);
    max-width: 100vw;
    height: 100vh;
    height: 100dvh;
    max-height: 100dvh;
    margin: auto;
    padding: 0;
    border: 0;
    display: grid;
    grid-template-rows: auto 1fr auto;
    background: #111;
    color: #fff;
    font: inherit;
  }
  dialog:not([open]) {
    display: none;
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.8);
  }
  header {
    padding: 8px 12px 0;
  }
  h2 {
    margin: 0;
    font-size: 1.1rem;
  }
  .hint {
    margin: 4px 0;
    font-size: 0.85rem;
    opacity: 0.85;
  }
  .stage {
    position: relative;
    overflow: hidden;
    min-height: 200px;
    background: #000;
    /* The editor handles every touch itself: drag, draw, pinch to zoom. */
    touch-action: none;
    user-select: none;
    -webkit-user-select: none;
    cursor: crosshair;
  }
  canvas {
    position: absolute;
    pointer-events: none;
  }
  canvas.mirrored {
    transform: scaleX(-1);
  }
  .box {
    position: absolute;
    box-sizing: border-box;
    margin: 0;
    padding: 0;
    background: rgb(255 255 255 / 0.04);
    border: 2px solid #3ddc84;
    border-radius: 2px;
    cursor: move;
    touch-action: none;
    font: inherit;
    color: inherit;
  }
  .box.proposed {
    border-style: dashed;
    border-color: #ffd54f;
  }
  .box.selected {
    border-width: 3px;
    border-color: #4fc3f7;
    background: rgb(79 195 247 / 0.12);
  }
  .box:focus-visible {
    outline: 3px solid #fff;
    outline-offset: 2px;
  }
  .label {
    position: absolute;
    left: -2px;
    bottom: 100%;
    padding: 1px 6px;
    background: rgb(0 0 0 / 0.75);
    font-size: 0.8rem;
    white-space: nowrap;
    pointer-events: none;
  }
  /* Corner handles: 24 px to see, with a 44 px touch area around them. */
  .corner {
    position: absolute;
    width: 24px;
    height: 24px;
    box-sizing: border-box;
    border: 3px solid #4fc3f7;
    background: #fff;
    border-radius: 50%;
  }
  .corner::after {
    content: '';
    position: absolute;
    inset: -10px;
  }
  .corner.tl {
    left: -12px;
    top: -12px;
    cursor: nwse-resize;
  }
  .corner.br {
    right: -12px;
    bottom: -12px;
    cursor: nwse-resize;
  }
  .corner.tr {
    right: -12px;
    top: -12px;
    cursor: nesw-resize;
  }
  .corner.bl {
    left: -12px;
    bottom: -12px;
    cursor: nesw-resize;
  }
  .drawing {
    position: absolute;
    border: 2px dashed #fff;
    pointer-events: none;
  }
  .zoom {
    position: absolute;
    right: 8px;
    bottom: 8px;
    display: flex;
    gap: 4px;
    align-items: center;
    padding: 4px;
    border-radius: 8px;
    background: rgb(0 0 0 / 0.6);
  }
  .panel {
    display: grid;
    gap: 8px;
    padding: 8px 12px 12px;
  }
  .boxes,
  .new-tag,
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  .boxes p {
    margin: 0;
  }
  .actions {
    justify-content: flex-end;
  }
  button,
  select,
  input {
    font: inherit;
    min-height: 44px;
  }
  .panel button,
  .zoom button {
    min-width: 44px;
    padding: 0 1rem;
  }
  .primary {
    font-weight: 600;
  }
  .image-tags {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
    max-height: 30vh;
    overflow: auto;
  }
  .image-tags label {
    display: inline-flex;
    gap: 6px;
    align-items: center;
    min-height: 44px;
  }
  .problem {
    margin: 0;
    min-height: 1.2em;
    color: #ff8a80;
  }
`;
