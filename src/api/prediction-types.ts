// Custom Vision's prediction shapes as the browser uses them, after defensive parsing
// (see prediction-client.ts): every field the cloud marks readOnly may be missing on the wire.

/** Fractions of the image's width and height: top-left corner plus size. */
export interface BoundingBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Prediction {
  probability: number;
  tagId: string;
  tagName: string;
  /** Present for object detection; absent for classification. */
  boundingBox?: BoundingBox;
}
