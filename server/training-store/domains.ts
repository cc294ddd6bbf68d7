// Custom Vision's domains, by their fixed ids: a project's domain says whether it classifies or detects,
// which is all the local store needs of it; getDomain answers them in Custom Vision's Domain shape.
export interface Domain {
  readonly id: string;
  readonly name: string;
  readonly type: 'Classification' | 'ObjectDetection';
  readonly exportable: boolean;
}

export const DOMAINS: readonly Domain[] = [
  { id: 'ee85a74c-405e-4adc-bb47-ffa8ca0c9f31', name: 'General', type: 'Classification', exportable: false },
  {
    id: 'a8e3c40f-fb4a-466f-832a-5e457ae4a344',
    name: 'General [A1]',
    type: 'Classification',
    exportable: false,
  },
  {
    id: '2e37d7fb-3a54-486a-b4d6-cfc369af0018',
    name: 'General [A2]',
    type: 'Classification',
    exportable: false,
  },
  { id: 'c151d5b5-dd07-472a-acc8-15d29dea8518', name: 'Food', type: 'Classification', exportable: false },
  {
    id: 'ca455789-012d-4b50-9fec-5bb63841c793',
    name: 'Landmarks',
    type: 'Classification',
    exportable: false,
  },
  { id: 'b30a91ae-e3c1-4f73-a81e-c270bff27c39', name: 'Retail', type: 'Classification', exportable: false },
  {
    id: '0732100f-1a38-4e49-a514-c9b44c697ab5',
    name: 'General (compact)',
    type: 'Classification',
    exportable: true,
  },
  {
    id: 'a1db07ca-a19a-4830-bae8-e004a42dc863',
    name: 'General (compact) [S1]',
    type: 'Classification',
    exportable: true,
  },
  { id: 'da2e3a8a-40a5-4171-82f4-58522f70fbc1', name: 'General', type: 'ObjectDetection', exportable: false },
  { id: '1d8ffafe-ec40-4fb2-8f90-72b3b6cecea4', name: 'Logo', type: 'ObjectDetection', exportable: false },
  {
    id: 'a27d5ca5-bb19-49d8-a70a-fec086c47f5b',
    name: 'General (compact)',
    type: 'ObjectDetection',
    exportable: true,
  },
  {
    id: '7ec2ac80-887b-48a6-8df9-8b1357765430',
    name: 'General (compact) [S1]',
    type: 'ObjectDetection',
    exportable: true,
  },
];

/** The domain Custom Vision gives a project created without one. */
export const DEFAULT_DOMAIN_ID = 'ee85a74c-405e-4adc-bb47-ffa8ca0c9f31';
/** Object detection, General: the local detector's project. */
export const DETECTION_DOMAIN_ID = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';

export const findDomain = (id: string) => DOMAINS.find((domain) => domain.id === id.toLowerCase());

export const domainJson = (domain: Domain) => ({
  id: domain.id,
  name: domain.name,
  type: domain.type,
  exportable: domain.exportable,
  enabled: true,
  exportablePlatforms: domain.exportable ? ['CoreML', 'TensorFlow', 'DockerFile', 'ONNX'] : [],
  modelInformation: { estimatedModelSizeInMegabytes: 0, description: domain.name },
});
