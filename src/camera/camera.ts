// Opening cameras, listing them and switching the torch. Imports nothing from Lit: the camera controller
// binds these to an element's lifecycle.

export type Facing = 'environment' | 'user';

export interface CameraRequest {
  /** A remembered camera; when it is gone, the facing mode is used instead. */
  readonly deviceId?: string;
  /** Back camera on phones by default; undefined lets the browser pick its default camera. */
  readonly facing?: Facing;
  readonly width: number;
  readonly height: number;
}

export interface CameraInfo {
  readonly deviceId: string;
  readonly label: string;
}

/**
 * Phones and tablets: a coarse pointer and touch. They get the back camera first: the one that points at
 * what the user is looking at.
 */
export function isProbablyPhone(): boolean {
  return matchMedia('(pointer: coarse)').matches && navigator.maxTouchPoints > 0;
}

export function isIosStandalone(): boolean {
  return (
    /iPad|iPhone|iPod/.test(navigator.userAgent) &&
    (navigator as { standalone?: boolean }).standalone === true
  );
}

function videoConstraints(request: CameraRequest, useDevice: boolean): MediaTrackConstraints {
  return {
    width: { ideal: request.width },
    height: { ideal: request.height },
    ...(useDevice && request.deviceId
      ? { deviceId: { exact: request.deviceId } }
      : request.facing
        ? { facingMode: { ideal: request.facing } }
        : {}),
  };
}

export async function openCamera(request: CameraRequest): Promise<MediaStream> {
  const media = navigator.mediaDevices;
  try {
    return await media.getUserMedia({ audio: false, video: videoConstraints(request, true) });
  } catch (error) {
    // A remembered camera that has gone away (unplugged, another phone): fall back to any camera.
    const gone =
      error instanceof DOMException &&
      (error.name === 'OverconstrainedError' || error.name === 'NotFoundError');
    if (request.deviceId && gone)
      return media.getUserMedia({ audio: false, video: videoConstraints(request, false) });
    throw error;
  }
}

/** The cameras, with labels once permission has been granted (before that browsers hide them). */
export async function listCameras(): Promise<CameraInfo[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((device) => device.kind === 'videoinput' && device.deviceId)
    .map((device, index) => ({ deviceId: device.deviceId, label: device.label || `Camera ${index + 1}` }));
}

export function stopStream(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export function supportsTorch(track: MediaStreamTrack | undefined): boolean {
  // `torch` is not in TypeScript's DOM types yet; Chrome on Android reports it.
  const capabilities: (MediaTrackCapabilities & { torch?: boolean }) | undefined = track?.getCapabilities?.();
  return capabilities?.torch === true;
}

export async function setTorch(track: MediaStreamTrack, on: boolean): Promise<void> {
  await track.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
}

/** Which way the camera faces, when the browser says: a user-facing preview is shown mirrored. */
export function facingOf(track: MediaStreamTrack | undefined): Facing | undefined {
  const facing = track?.getSettings().facingMode;
  return facing === 'user' || facing === 'environment' ? facing : undefined;
}
