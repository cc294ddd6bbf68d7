// The real entry point, as `npm start` runs it: a bad configuration stops it with a message that names the
// variable, and never the key.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { blankServerSettings } from '../support/spawn-server.ts';

const ENTRY = new URL('../../server/index.ts', import.meta.url).pathname;
const KEY = 'fedcba9876543210fedcba9876543210';

function boot(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Only what the test gives: no CUSTOM_VISION_* from the developer's shell, and blanks (which the server
    // reads as unset) so that a developer's .env cannot fill them in either.
    const blanks = blankServerSettings();
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...blanks, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('server start-up', () => {
  it.each([
    [{ CUSTOM_VISION_PREDICTION_KEY: KEY }, /CUSTOM_VISION_PROJECT_ID is required/],
    [
      {
        CUSTOM_VISION_PREDICTION_KEY: `${KEY}!`,
        CUSTOM_VISION_PROJECT_ID: '0f0f0f0f-1111-4222-8333-444455556666',
        CUSTOM_VISION_PUBLISHED_NAME: 'x',
      },
      /CUSTOM_VISION_PREDICTION_KEY is malformed/,
    ],
    [
      { CUSTOM_VISION_PROJECT_ID: '0f0f0f0f-1111-4222-8333-444455556666', CUSTOM_VISION_PUBLISHED_NAME: 'x' },
      /CUSTOM_VISION_PREDICTION_KEY is required/,
    ],
  ])('refuses to start with %o and says why', async (env, message) => {
    const { code, output } = await boot({
      CUSTOM_VISION_PREDICTION_ENDPOINT: 'https://demo.cognitiveservices.azure.com',
      ...env,
    });
    expect(code).toBe(2);
    expect(output).toMatch(message);
    expect(output).toMatch(/^Sightline cannot start:/);
    expect(output).not.toContain(KEY);
  });

  it('refuses to start bound beyond loopback without access control, saying how to configure it', async () => {
    const { code, output } = await boot({ HOST: '0.0.0.0', ACCESS_TOKENS: '', ACCESS_TOKENS_FILE: '' });
    expect(code).toBe(2);
    expect(output).toMatch(/^Sightline cannot start: HOST=0\.0\.0\.0 lets other machines reach this server/);
    expect(output).toMatch(/ACCESS_TOKENS=/);
  });

  it('refuses to start when the token file cannot be read', async () => {
    const { code, output } = await boot({ ACCESS_TOKENS_FILE: '/nonexistent/sightline-tokens' });
    expect(code).toBe(2);
    expect(output).toMatch(/ACCESS_TOKENS_FILE \(\/nonexistent\/sightline-tokens\) cannot be read: ENOENT/);
  });

  it('says which port is taken and how to choose another, with no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, output } = await boot({
        PORT: String(port),
        HOST: '127.0.0.1',
        CUSTOM_VISION_PREDICTION_ENDPOINT: 'https://demo.cognitiveservices.azure.com',
        CUSTOM_VISION_PREDICTION_KEY: KEY,
        CUSTOM_VISION_PROJECT_ID: '0f0f0f0f-1111-4222-8333-444455556666',
        CUSTOM_VISION_PUBLISHED_NAME: 'x',
      });
      expect(code).toBe(2);
      expect(output).toContain(
        `Sightline cannot start: Port ${port} on 127.0.0.1 is already in use (another Sightline, or another program).`,
      );
      expect(output).toMatch(new RegExp(`PORT=${port + 1} npm start`));
      expect(output).not.toMatch(/\n\s+at /);
      expect(output).not.toContain(KEY);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
