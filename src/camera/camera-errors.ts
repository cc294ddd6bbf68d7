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
  /**
   * The same for a kiosk, where nobody at the screen can act: what an operator must do. The kiosk tries
   * again by itself, and says so next to this.
   */
  readonly operatorMessage: string;
  /** Whether trying again by itself may help (a camera busy or unplugged may come back; a refusal will not). */
  readonly retryable: boolean;
  /**
   * Whether the message asks the person to try again (so the view must offer a Retry button). False only
   * where trying again from this page cannot help: an insecure page, a browser without camera access.
   */
  readonly offersRetry: boolean;
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
      operatorMessage:
        'The camera needs a secure page. Operator: open this screen at an https:// address (or http://localhost).',
      retryable: false,
      offersRetry: false,
    };
  }
  if (!context.hasMediaDevices) {
    return {
      problem: CameraProblem.Unsupported,
      message: 'This browser offers no camera access. Try a current Chrome, Edge, Firefox or Safari.',
      operatorMessage:
        'This browser offers no camera access. Operator: run this screen in a current Chrome, Edge, Firefox or Safari.',
      retryable: false,
      offersRetry: false,
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
        operatorMessage:
          "The camera is not allowed on this screen. Operator: allow the camera for this site in the browser's site settings (or start the browser with the camera allowed).",
        retryable: false,
        offersRetry: true,
      };
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return {
        problem: CameraProblem.NoCamera,
        message: 'No camera was found. Connect a camera (or pick another one), then press Retry.',
        operatorMessage: 'No camera was found. Operator: connect a camera to this screen.',
        retryable: true,
        offersRetry: true,
      };
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return {
        problem: CameraProblem.InUse,
        message:
          'The camera is in use by another app or tab, or the system blocked it. Close the other app, then press Retry.',
        operatorMessage:
          'The camera is in use by another program, or the system blocked it. Operator: close the other program using the camera.',
        retryable: true,
        offersRetry: true,
      };
    default: {
      const detail = error instanceof Error && error.message ? `: ${error.message}` : '';
      return {
        problem: CameraProblem.Unknown,
        message: `The camera could not start${detail}. Press Retry.`,
        operatorMessage: `The camera could not start${detail}. Operator: check the camera's cable and the browser's camera settings.`,
        retryable: true,
        offersRetry: true,
      };
    }
  }
}

export const CAMERA_ENDED: CameraFailure = {
  problem: CameraProblem.Ended,
  message: 'The camera stopped (unplugged, or taken by another app). Restarting it…',
  operatorMessage: 'The camera stopped (unplugged, or taken by another program). Restarting it…',
  retryable: true,
  offersRetry: false,
};
