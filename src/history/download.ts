// Saves a Blob as a file through an object URL on an <a download>: no dialog, so a kiosk never blocks.

/**
 * How long the object URL lives after the click. Chromium resolves the URL when the download actually
 * starts, a moment after click() returns; revoking at once can cancel it (FileSaver.js waits 40 s for the
 * same reason). Revoking later still frees the Blob well before a kiosk would notice.
 */
export const REVOKE_AFTER_MS = 30_000;

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}
