// Takes the picture the <video> shows now, as a frame the encoder can take over. A VideoFrame wraps the
// current picture without copying it; browsers without VideoFrame get an ImageBitmap (one copy).

export function captureFrame(video: HTMLVideoElement): Promise<VideoFrame | ImageBitmap> {
  return typeof VideoFrame === 'function' ? Promise.resolve(new VideoFrame(video)) : createImageBitmap(video);
}
