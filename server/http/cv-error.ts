// Errors in Custom Vision's own flat shape, {"code": "...", "message": "..."}, so that the official SDKs
// and any Custom Vision client parse the server's refusals exactly like the cloud's.
import type { ServerResponse } from 'node:http';

/** Codes from Custom Vision's CustomVisionErrorCodes enum that this server produces itself. */
export const CvErrorCode = {
  BadRequest: 'BadRequest',
  BadRequestImageDimensions: 'BadRequestImageDimensions',
  BadRequestImageFormat: 'BadRequestImageFormat',
  BadRequestImageSizeBytes: 'BadRequestImageSizeBytes',
  BadRequestImageStream: 'BadRequestImageStream',
  BadRequestImageUrl: 'BadRequestImageUrl',
  BadRequestExceededBatchSize: 'BadRequestExceededBatchSize',
  BadRequestImageRegions: 'BadRequestImageRegions',
  BadRequestImageTags: 'BadRequestImageTags',
  BadRequestInvalidIds: 'BadRequestInvalidIds',
  BadRequestInvalidPublishTarget: 'BadRequestInvalidPublishTarget',
  BadRequestInvalidPublishName: 'BadRequestInvalidPublishName',
  BadRequestRequiredParamIsNull: 'BadRequestRequiredParamIsNull',
  BadRequestNotSupported: 'BadRequestNotSupported',
  // The local training store's refusals.
  BadRequestProjectName: 'BadRequestProjectName',
  BadRequestProjectNameNotUnique: 'BadRequestProjectNameNotUnique',
  BadRequestProjectUnknownDomain: 'BadRequestProjectUnknownDomain',
  BadRequestProjectUnknownClassification: 'BadRequestProjectUnknownClassification',
  BadRequestExceedProjectLimit: 'BadRequestExceedProjectLimit',
  BadRequestTagName: 'BadRequestTagName',
  BadRequestTagNameNotUnique: 'BadRequestTagNameNotUnique',
  BadRequestTagType: 'BadRequestTagType',
  BadRequestMultipleNegativeTag: 'BadRequestMultipleNegativeTag',
  BadRequestExceedTagPerProjectLimit: 'BadRequestExceedTagPerProjectLimit',
  BadRequestExceededQuota: 'BadRequestExceededQuota',
  // Local training of classification iterations.
  BadRequestTrainingAlreadyInProgress: 'BadRequestTrainingAlreadyInProgress',
  BadRequestMultiClassClassificationTrainingValidationFailed:
    'BadRequestMultiClassClassificationTrainingValidationFailed',
  BadRequestMultiLabelClassificationTrainingValidationFailed:
    'BadRequestMultiLabelClassificationTrainingValidationFailed',
  BadRequestIterationIsNotTrained: 'BadRequestIterationIsNotTrained',
  BadRequestIterationIsPublished: 'BadRequestIterationIsPublished',
  BadRequestIterationNotPublished: 'BadRequestIterationNotPublished',
  NotFoundProjectDefaultIteration: 'NotFoundProjectDefaultIteration',
  NotFoundTag: 'NotFoundTag',
  NotFoundImage: 'NotFoundImage',
  NotFoundDomain: 'NotFoundDomain',
  UnsupportedMediaType: 'UnsupportedMediaType',
  NotFound: 'NotFound',
  NotFoundProject: 'NotFoundProject',
  NotFoundIteration: 'NotFoundIteration',
  ErrorUnknown: 'ErrorUnknown',
  ErrorPrediction: 'ErrorPrediction',
  ErrorPredictionServiceUnavailable: 'ErrorPredictionServiceUnavailable',
  // Not in the enum (which is open: clients must tolerate unknown codes); the cloud's gateway sends
  // "429" for throttling, and this keeps that meaning for the local detector's own back-pressure.
  TooManyRequests: '429',
  // The gateway's codes for a refused credential and a refused origin, in the same spirit.
  Unauthorized: '401',
  Forbidden: 'Forbidden',
} as const;
export type CvErrorCode = (typeof CvErrorCode)[keyof typeof CvErrorCode];

export class CvError extends Error {
  override name = 'CvError';
  constructor(
    readonly status: number,
    readonly code: CvErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendCvError(res: ServerResponse, error: CvError): void {
  sendJson(res, error.status, { code: error.code, message: error.message }, error.headers);
}
