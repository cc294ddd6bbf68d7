// GET /api/health and GET /api/config: what the app shell (and an operator) needs to know. Never a key.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/cv-error.ts';
import { MAX_IMAGE_BYTES } from '../http/read-image.ts';
import type { PredictionUpstream } from '../upstreams/upstream.ts';
import { predictionPath } from './prediction-route.ts';

export function sendHealth(res: ServerResponse, upstream: PredictionUpstream, startedAt: number): void {
  const { ready, detail, ...upstreamDetail } = upstream.health();
  sendJson(res, 200, {
    status: 'ok',
    ready,
    source: upstream.model.source,
    detail,
    uptimeSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    upstream: upstreamDetail,
  });
}

export function sendConfig(res: ServerResponse, upstream: PredictionUpstream): void {
  const model = upstream.model;
  sendJson(res, 200, {
    models: [
      {
        projectId: model.projectId,
        publishedName: model.publishedName,
        type: model.type,
        source: model.source,
        name: model.name,
        predictionPath: predictionPath({
          version: 'v3.1',
          projectId: model.projectId,
          projectType: model.type,
          publishedName: model.publishedName,
          input: 'image',
          store: false,
        }),
        ...(model.tags ? { tags: model.tags } : {}),
      },
    ],
    limits: { maxImageBytes: MAX_IMAGE_BYTES },
    budget: upstream.budget(),
  });
}
