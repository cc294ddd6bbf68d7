import { css } from 'lit';

// Mobile first: one column, full-width cards; side by side once there is room. Colours come from custom
// properties so the dark scheme is a swap of values, not a second stylesheet.
export const appStyles = css`
  :host {
    --sl-bg: #f4f6fa;
    --sl-surface: #ffffff;
    --sl-text: #111827;
    --sl-muted: #4b5563;
    --sl-border: #d7dce5;
    --sl-accent: #0e7490;
    --sl-ok: #15803d;
    --sl-warn: #b45309;
    --sl-bad: #b91c1c;
    --sl-radius: 0.75rem;

    display: block;
    min-height: 100vh;
    min-height: 100dvh;
    background: var(--sl-bg);
    color: var(--sl-text);
    font:
      1rem/1.5 system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      sans-serif;
    color-scheme: light dark;
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --sl-bg: #0b1220;
      --sl-surface: #131c2e;
      --sl-text: #e5e9f0;
      --sl-muted: #9aa5b8;
      --sl-border: #26324a;
      --sl-accent: #22d3ee;
      --sl-ok: #4ade80;
      --sl-warn: #fbbf24;
      --sl-bad: #f87171;
    }
  }

  .bar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.75rem;
    padding: 0.75rem 1rem;
    padding-top: max(0.75rem, env(safe-area-inset-top));
    background: var(--sl-surface);
    border-bottom: 1px solid var(--sl-border);
  }

  .logo {
    flex: none;
  }

  h1 {
    margin: 0;
    font-size: 1.375rem;
    letter-spacing: 0.01em;
  }

  .tagline {
    margin: 0;
    color: var(--sl-muted);
    font-size: 0.9375rem;
  }

  main {
    display: grid;
    gap: 1rem;
    max-width: 60rem;
    margin: 0 auto;
    padding: 1rem;
    padding-bottom: max(1rem, env(safe-area-inset-bottom));
  }

  @media (min-width: 40rem) {
    main {
      grid-template-columns: repeat(2, minmax(0, 1fr));
      padding: 1.5rem;
      gap: 1.5rem;
    }
  }

  /* Kiosk: the live view fills the screen. */
  :host([kiosk]) {
    display: block;
    min-height: 100vh;
    background: #000;
  }

  main.kiosk-main {
    display: block;
    max-width: none;
    padding: 0;
  }

  .kiosk-wait {
    margin: 0;
    padding: 2rem;
    color: #fff;
    font-size: clamp(1.5rem, 4vw, 3rem);
  }

  .views {
    margin-left: auto;
    display: flex;
    gap: 4px;
  }
  .views a {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    min-height: 2.75rem;
    padding: 0 1rem;
    border-radius: 999px;
    color: inherit;
    text-decoration: none;
  }

  /* On a phone the views sit at the bottom, where a thumb reaches them. */
  @media (max-width: 40rem) {
    .views {
      position: fixed;
      left: 0;
      right: 0;
      bottom: 0;
      z-index: 10;
      margin: 0;
      gap: 0.5rem;
      padding: 0.5rem 1rem;
      padding-bottom: max(0.5rem, env(safe-area-inset-bottom));
      background: var(--sl-surface);
      border-top: 1px solid var(--sl-border);
    }
    .views a {
      flex: 1;
    }
    main {
      padding-bottom: calc(4.5rem + env(safe-area-inset-bottom));
    }
  }
  .views a[aria-current='page'] {
    background: var(--sl-accent, #0b6e8a);
    color: #fff;
  }
  .views a:focus-visible {
    outline: 3px solid #4c9ffe;
    outline-offset: 2px;
  }

  /* The live view spans the whole width above the information cards. */
  .live {
    grid-column: 1 / -1;
  }

  .card {
    background: var(--sl-surface);
    border: 1px solid var(--sl-border);
    border-radius: var(--sl-radius);
    padding: 1rem 1.25rem 1.25rem;
    min-width: 0;
  }

  h2 {
    margin: 0 0 0.5rem;
    font-size: 0.8125rem;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.08em;
    color: var(--sl-muted);
  }

  p {
    margin: 0 0 0.5rem;
    overflow-wrap: anywhere;
  }

  .model-name {
    font-size: 1.125rem;
    font-weight: 600;
  }

  .muted {
    color: var(--sl-muted);
  }

  .meta {
    color: var(--sl-muted);
    font-size: 0.875rem;
  }

  .badge {
    display: inline-block;
    min-width: 1.25rem;
    padding: 0 0.375rem;
    border-radius: 999px;
    background: var(--sl-accent);
    color: var(--sl-surface);
    font-size: 0.8125rem;
    font-weight: 700;
    text-align: center;
  }

  .notice {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    margin: 0 0 0.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--sl-accent);
    border-radius: var(--sl-radius);
    background: var(--sl-surface);
  }

  .problem {
    color: var(--sl-bad);
  }

  code {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 0.9em;
    padding: 0.05em 0.3em;
    border-radius: 0.25rem;
    background: color-mix(in srgb, currentColor 12%, transparent);
  }

  .technical {
    margin: 0 0 0.5rem;
    color: var(--sl-muted);
    font-size: 0.875rem;
  }

  .technical summary {
    cursor: pointer;
    padding: 0.75rem 0; /* a 44 px touch target */
  }

  .health {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    font-size: 1.125rem;
    font-weight: 600;
  }

  .dot {
    width: 0.75rem;
    height: 0.75rem;
    border-radius: 50%;
    background: var(--sl-muted);
    flex: none;
  }

  [data-state='ready'] .dot {
    background: var(--sl-ok);
  }

  [data-state='starting'] .dot {
    background: var(--sl-warn);
  }

  [data-state='unreachable'] .dot,
  [data-state='error'] .dot {
    background: var(--sl-bad);
  }

  a.button {
    display: inline-flex;
    align-items: center;
    min-height: 2.75rem;
    padding: 0.5rem 1rem;
    border-radius: 0.5rem;
    background: var(--sl-accent);
    color: var(--sl-surface);
    font-weight: 600;
    text-decoration: none;
  }

  a.button:focus-visible {
    outline: 3px solid var(--sl-accent);
    outline-offset: 2px;
  }

  button {
    font: inherit;
    font-size: 0.9375rem;
    min-height: 2.75rem; /* a comfortable touch target */
    padding: 0.5rem 1rem;
    margin-top: 0.25rem;
    border: 1px solid var(--sl-accent);
    border-radius: 0.5rem;
    background: transparent;
    color: var(--sl-accent);
    cursor: pointer;
  }

  button:hover {
    background: color-mix(in srgb, var(--sl-accent) 12%, transparent);
  }

  button:focus-visible {
    outline: 3px solid var(--sl-accent);
    outline-offset: 2px;
  }

  @media (prefers-reduced-motion: no-preference) {
    [data-state='checking'] .dot,
    [data-state='starting'] .dot {
      animation: pulse 1.2s ease-in-out infinite alternate;
    }
  }

  @keyframes pulse {
    to {
      opacity: 0.35;
    }
  }
`;
