// Every custom event the elements fire, in one table: the name (all prefixed `sl-`, so none can clash
// with a native event or another library's) and the type of its detail. The entries in
// HTMLElementEventMap type addEventListener and `event.detail` for listeners, and emit() lets an element
// fire only these names with the detail they promise. An event without a detail carries null.
import type { ExportKind } from '../history/export-format.ts';
import type { FilterValue } from '../history/history-filter.ts';
import type { Settings } from '../settings/settings.ts';
import type { TeachDraft } from '../teach/teach-types.ts';

declare global {
  interface HTMLElementEventMap {
    /** <sightline-settings>: the user changed some settings. */
    'sl-settings-change': CustomEvent<Partial<Settings>>;
    /** <sightline-settings>: switch between the front and back camera. */
    'sl-camera-flip': CustomEvent<null>;
    /** <sightline-settings>: turn the torch on or off. */
    'sl-torch-toggle': CustomEvent<null>;
    /** <sightline-viewfinder>: the video's intrinsic size became known or changed. */
    'sl-video-size': CustomEvent<{ readonly width: number; readonly height: number }>;
    /** <sightline-history-toolbar>: the user changed the filter. */
    'sl-filter-change': CustomEvent<FilterValue>;
    /** <sightline-history-list>: a row was chosen. */
    'sl-open-record': CustomEvent<{ readonly id: number }>;
    /** <sightline-history-detail>: the user is done with this record. */
    'sl-close-detail': CustomEvent<null>;
    /** <sightline-history-detail>: the user confirmed deleting this record. */
    'sl-delete-record': CustomEvent<{ readonly id: number }>;
    /** <sightline-history-actions>: export the records shown. */
    'sl-export-request': CustomEvent<{ readonly kind: ExportKind }>;
    /** <sightline-history-actions>: stop the export in progress. */
    'sl-export-cancel': CustomEvent<null>;
    /** <sightline-history-actions>: the user confirmed deleting the records matching the filter. */
    'sl-delete-filtered': CustomEvent<null>;
    /** <sightline-history-actions>: the user confirmed deleting every record. */
    'sl-clear-all': CustomEvent<null>;
    /** <sightline-confirm-button>: the user confirmed the action. */
    'sl-confirm': CustomEvent<null>;
    /** The teach editor: the person confirmed a corrected frame; the app puts it in the outbox. */
    'sl-teach': CustomEvent<TeachDraft>;
    /** The teach editor: the person left it without teaching. */
    'sl-teach-cancel': CustomEvent<null>;
  }
}

export type SightlineEventName = Extract<keyof HTMLElementEventMap, `sl-${string}`>;

/** The event a listener for `name` receives. */
export type SightlineEvent<K extends SightlineEventName> = HTMLElementEventMap[K];

type DetailOf<K extends SightlineEventName> = SightlineEvent<K>['detail'];

/**
 * Fires `name` from `host`, bubbling and crossing shadow roots (the listener is usually an ancestor
 * element's template). The detail is required exactly when the event has one.
 */
export function emit<K extends SightlineEventName>(
  host: EventTarget,
  name: K,
  ...detail: DetailOf<K> extends null ? [] : [DetailOf<K>]
): boolean {
  return host.dispatchEvent(
    new CustomEvent(name, { detail: detail[0] ?? null, bubbles: true, composed: true }),
  );
}
