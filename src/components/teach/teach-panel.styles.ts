import { css } from 'lit';

/** What the Teach view's panels (outbox, iterations) share: touch-sized buttons. */
export const teachPanelStyles = css`
  button {
    min-height: 2.75rem; /* a comfortable touch target */
    padding: 0 1rem;
    font: inherit;
    border-radius: 0.5rem;
    border: 1px solid var(--sl-border);
    background: var(--sl-surface);
    color: inherit;
    cursor: pointer;
  }
  button:disabled {
    opacity: 0.6;
    cursor: default;
  }
`;
