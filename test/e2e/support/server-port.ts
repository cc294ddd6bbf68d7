// The port for the server Playwright starts: a free one, chosen once when the configuration is first
// loaded, so that two checkouts (or `npm run dev` and another test run) can run the tests side by side.
// Playwright loads this configuration again in each worker process; the first choice is handed to them
// through the environment, which they inherit, so all of them talk to the same server.
// SIGHTLINE_E2E_PORT set by hand picks a fixed port instead.
import { execFileSync } from 'node:child_process';

const VARIABLE = 'SIGHTLINE_E2E_PORT';
export const E2E_HOST = '127.0.0.1';

/**
 * A port the system has just handed out as free. Synchronous because the configuration object is built at
 * import time: a throwaway Node process listens on port 0 and prints what it got.
 */
function pickFreePort(): number {
  const script = `const s=require('node:net').createServer();s.listen(0,${JSON.stringify(E2E_HOST)},()=>{process.stdout.write(String(s.address().port));s.close();});`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

function e2ePort(): number {
  const given = Number(process.env[VARIABLE]);
  if (Number.isInteger(given) && given > 0 && given < 65536) return given;
  const port = pickFreePort();
  process.env[VARIABLE] = String(port);
  return port;
}

export const E2E_PORT = e2ePort();
export const E2E_ORIGIN = `http://${E2E_HOST}:${E2E_PORT}`;
