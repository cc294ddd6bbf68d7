// Custom Vision's per-image statuses (ImageCreateResult.status) in words for the person holding the phone:
// what went wrong with this picture and whether Retry can help. The status itself is shown beside it.

const REASONS: Readonly<Record<string, string>> = {
  ErrorSource:
    'Custom Vision could not read this picture from where it was sent (the stored prediction may be gone). Discard it and teach the frame again.',
  ErrorImageFormat: 'Custom Vision does not take this picture format. Discard it and teach the frame again.',
  ErrorImageSize:
    'The picture is larger than Custom Vision takes for training (6 MB). Discard it and teach it again.',
  ErrorImageDimensions: 'The picture is too small or too large in pixels for Custom Vision. Discard it.',
  ErrorStorage: 'Custom Vision could not store the picture just now. Retry in a while.',
  ErrorLimitExceed:
    'The project has as many images as its tier allows. Ask whoever manages it to make room, then Retry.',
  ErrorTagLimitExceed:
    'The picture has more tags than Custom Vision allows on one image. Discard it and teach it with fewer.',
  ErrorRegionLimitExceed:
    'The picture has more boxes than Custom Vision allows on one image. Discard it and teach it with fewer.',
  ErrorNegativeAndRegularTagOnSameImage:
    'The picture has the Negative tag and other tags together. Discard it and teach it again.',
  ErrorUnknown: 'Custom Vision could not add the picture and did not say why. Retry in a while.',
};

export function describeImageStatus(status: string): string {
  return REASONS[status] ?? `Custom Vision refused the picture (${status}). Retry, or discard it.`;
}
