// Worker-thread entry for one training run, so that training never holds up the server's event loop
// (predictions, uploads and polling go on meanwhile).
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainingJob, type TrainingJobInput } from './training-job.ts';

const port = parentPort;
if (!port) throw new Error('training-worker.ts must run in a worker thread');
try {
  const result = runTrainingJob(workerData as TrainingJobInput);
  port.postMessage({ type: 'done', result });
} catch (error) {
  port.postMessage({ type: 'failed', message: (error as Error).stack ?? String(error) });
}
