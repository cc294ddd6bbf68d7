// Styles of the history view's elements, kept out of their logic.
import { css, unsafeCSS } from 'lit';

/** Row height of the virtualised list (fixed: the list's arithmetic depends on it) and thumbnail size. */
export const ROW_HEIGHT = 88;
export const THUMB = { width: 128, height: 72 } as const;

export const focusRing = css`
  button:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 3px solid #4c9ffe;
    outline-offset: 2px;
  }
  button,
  input,
  select {
    font: inherit;
    min-height: 2.75rem;
  }
`;

export const historyStyles = css`
  :host {
    display: grid;
    gap: 12px;
  }
  .body {
    position: relative;
    height: min(70vh, 48rem);
    display: grid;
  }
  sightline-history-detail {
    position: absolute;
    inset: 0;
    overflow-y: auto;
    padding: 4px;
    background: var(--sl-surface, #fff);
  }
  p {
    margin: 0;
  }
  .problem {
    color: var(--sl-bad, #b91c1c);
  }
  /* On a phone an open record takes the page, which scrolls as a whole, rather than scrolling in a box. */
  @media (max-width: 40rem) {
    .body.detail-open {
      height: auto;
    }
    .body.detail-open sightline-history-list {
      display: none;
    }
    .body.detail-open sightline-history-detail {
      position: static;
      overflow: visible;
      padding: 0;
    }
  }
  .empty {
    position: absolute;
    inset: 0 0 auto;
    padding: 16px 4px;
    color: var(--sl-muted, #4b5563);
  }
`;

export const historyListStyles = css`
  :host {
    display: block;
    min-height: 0;
  }
  .scroller {
    height: 100%;
    overflow-y: auto;
    overscroll-behavior: contain;
  }
  .rows {
    position: relative;
    margin: 0;
  }
  .row {
    position: absolute;
    left: 0;
    right: 0;
    height: ${unsafeCSS(ROW_HEIGHT)}px;
    box-sizing: border-box;
    padding: 4px 2px;
  }
  button {
    display: flex;
    align-items: center;
    gap: 12px;
    width: 100%;
    height: 100%;
    padding: 4px 8px 4px 4px;
    border: 1px solid var(--sl-border, #d7dce5);
    border-radius: 8px;
    background: var(--sl-surface, #fff);
    color: inherit;
    font: inherit;
    text-align: left;
    cursor: pointer;
  }
  button:focus-visible {
    outline: 3px solid #4c9ffe;
    outline-offset: 1px;
  }
  canvas {
    flex: none;
    width: ${unsafeCSS(THUMB.width)}px;
    height: ${unsafeCSS(THUMB.height)}px;
    border-radius: 4px;
    background: #1f2937;
  }
  .text {
    display: grid;
    min-width: 0;
  }
  .tags {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .meta {
    color: var(--sl-muted, #4b5563);
    font-size: 0.85rem;
  }
`;

export const historyDetailStyles = css`
  :host {
    display: grid;
    gap: 12px;
    align-content: start;
  }
  .bar {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    justify-content: space-between;
  }
  .picture {
    min-width: 0;
  }
  canvas {
    display: block;
    border-radius: 8px;
    background: #111827;
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 4px 12px;
    margin: 0;
  }
  dt {
    color: var(--sl-muted, #4b5563);
  }
  dd {
    margin: 0;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    font-weight: 600;
  }
  th,
  td {
    padding: 2px 12px 2px 0;
    text-align: left;
  }
`;
