// Turns getUserMedia's failures into messages that say what happened and what to do: the browser's own
// error names (NotAllowedError, NotReadableError…) mean nothing to the person holding the device.

export const CameraProblem = {
  PermissionDenied: 'permission-denied',
  NoCamera: 'no-camera',
  InUse: 'in-use',
  InsecureContext: 'insecure-context',
  Unsupported: 'unsupported',
  Ended: 'ended',
  Unknown: 'unknown',
} as const;
export type CameraProblem = (typeof CameraProblem)[keyof typeof CameraProblem];

export interface CameraFailure {
  readonly problem: CameraProblem;
  readonly message: string;
  /** Whether trying again by itself may help (a camera busy or unplugged may come back; a refusal will not). */
  readonly retryable: boolean;
}

export interface CameraContext {
  readonly isSecureContext: boolean;
  readonly hasMediaDevices: boolean;
  /** An installed app on iOS asks for the camera again at each launch (a WebKit bug). */
  readonly isIosStandalone: boolean;
}

export function describeCameraError(error: unknown, context: CameraContext): CameraFailure {
  if (!context.isSecureContext) {
    return {
      problem: CameraProblem.InsecureContext,
      message:
        'The camera needs a secure page: open Sightline over HTTPS, or as http://localhost on this device.',
      retryable: false,
    };
  }
  if (!context.hasMediaDevices) {
    return {
      problem: CameraProblem.Unsupported,
      message: 'This browser offers no camera access. Try a current Chrome, Edge, Firefox or Safari.',
      retryable: false,
    };
  }
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return {
        problem: CameraProblem.PermissionDenied,
        message: context.isIosStandalone
          ? 'Camera permission was refused. On iPhone and iPad the installed app asks again at every launch: tap Allow when asked, or check Settings › Safari › Camera.'
          : "Camera permission was refused. Allow the camera for this site (the camera icon in the address bar, or the browser's site settings), then press Retry.",
        retryable: false,
      };
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return {
        problem: CameraProblem.NoCamera,
        message: 'No camera was found. Connect a camera (or pick another one), then press Retry.',
        retryable: true,
      };
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return {
        problem: CameraProblem.InUse,
        message:
          'The camera is in use by another app or tab, or the system blocked it. Close the other app, then press Retry.',
        retryable: true,
      };
    default:
      return {
        problem: CameraProblem.Unknown,
        message: `The camera could not start${error instanceof Error && error.message ? `: ${error.message}` : ''}. Press Retry.`,
        retryable: true,
      };
  }
}

export const CAMERA_ENDED: CameraFailure = {
  problem: CameraProblem.Ended,
  message: 'The camera stopped (unplugged, or taken by another app). Restarting it…',
  retryable: true,
};
