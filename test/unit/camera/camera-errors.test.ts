import { describe, expect, it } from 'vitest';
import { CameraProblem, describeCameraError } from '../../../src/camera/camera-errors.ts';

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
});
