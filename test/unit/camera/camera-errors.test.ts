import { describe, expect, it } from 'vitest';
import { CAMERA_ENDED, CameraProblem, describeCameraError } from '../../../src/camera/camera-errors.ts';

const OK = { isSecureContext: true, hasMediaDevices: true, isIosStandalone: false };
const named = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('describeCameraError', () => {
  it.each([
    ['NotAllowedError', CameraProblem.PermissionDenied, /permission was refused.*Retry/, false],
    ['NotFoundError', CameraProblem.NoCamera, /No camera was found/, true],
    ['OverconstrainedError', CameraProblem.NoCamera, /No camera was found/, true],
    ['NotReadableError', CameraProblem.InUse, /in use by another app/, true],
    ['TypeError', CameraProblem.Unknown, /could not start/, true],
  ])('explains %s and says what to do', (name, problem, message, retryable) => {
    const failure = describeCameraError(named(name), OK);
    expect(failure.problem).toBe(problem);
    expect(failure.message).toMatch(message);
    expect(failure.retryable).toBe(retryable);
  });

  it('says the page needs HTTPS or localhost when it is not a secure context', () => {
    const failure = describeCameraError(named('NotAllowedError'), { ...OK, isSecureContext: false });
    expect(failure.problem).toBe(CameraProblem.InsecureContext);
    expect(failure.message).toMatch(/HTTPS.*localhost/);
  });

  it('mentions the iOS re-prompt in an installed app', () => {
    expect(describeCameraError(named('NotAllowedError'), { ...OK, isIosStandalone: true }).message).toMatch(
      /asks again at every launch/,
    );
  });

  it('says the browser has no camera access at all', () => {
    expect(describeCameraError(undefined, { ...OK, hasMediaDevices: false }).problem).toBe(
      CameraProblem.Unsupported,
    );
  });

  const everyFailure = [
    ...['NotAllowedError', 'NotFoundError', 'NotReadableError', 'TypeError'].flatMap((name) => [
      describeCameraError(named(name, 'odd'), OK),
      describeCameraError(named(name), { ...OK, isIosStandalone: true }),
    ]),
    describeCameraError(undefined, { ...OK, isSecureContext: false }),
    describeCameraError(undefined, { ...OK, hasMediaDevices: false }),
    CAMERA_ENDED,
  ];

  it('offers Retry whenever the message tells the person to press it', () => {
    for (const failure of everyFailure) {
      if (/Retry/.test(failure.message)) expect(failure.offersRetry, failure.message).toBe(true);
    }
  });

  it('tells a kiosk operator what to do, never to press a button the kiosk does not show', () => {
    for (const failure of everyFailure) {
      expect(failure.operatorMessage, failure.problem).not.toMatch(/press|tap Allow/i);
      if (failure.problem !== CameraProblem.Ended) expect(failure.operatorMessage).toMatch(/Operator:/);
    }
  });
});
