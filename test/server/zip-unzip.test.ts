// The history export's ZIP writer checked by independent readers: Info-ZIP's `unzip` (what people use)
// and Python's zipfile, when the machine has them. Each test says so and skips when its tool is missing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, ZipWriter } from '../../src/history/zip.ts';
import { fixtureBytes, FIXTURES } from '../support/fixtures.ts';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const NAMES = { photo: 'images/1.jpg', json: 'records.json', utf8: 'café/naïve ✓.txt' };
const photo = fixtureBytes(FIXTURES.coffee);
const records = JSON.stringify([{ id: 1, tagName: 'cup', image: NAMES.photo }]);
let dir = '';
let file = '';

beforeAll(async () => {
  const zip = new ZipWriter();
  zip.add(NAMES.photo, new Uint8Array(photo), new Date(2026, 10, 27, 10, 0, 0));
  zip.add(NAMES.utf8, new TextEncoder().encode('utf-8 name'));
  const json = new TextEncoder().encode(records);
  zip.addBlob(NAMES.json, new Blob([json]), crc32(json));
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-zip-'));
  file = path.join(dir, 'export.zip');
  writeFileSync(file, Buffer.from(await zip.finish().arrayBuffer()));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!has('unzip'))('Info-ZIP unzip', () => {
  const unzip = (...args: string[]) => execFileSync('unzip', args, { maxBuffer: 64 * 1024 * 1024 });

  it('tests the archive without errors (every CRC checked)', () => {
    expect(unzip('-t', file).toString()).toMatch(/No errors detected/);
  });

  it('lists the entries with their UTF-8 names and sizes', () => {
    const listing = unzip('-l', file).toString();
    expect(listing).toContain(NAMES.utf8);
    // Info-ZIP prints dates as 11-27-2026 or 2026-11-27 depending on its version and locale.
    expect(listing).toMatch(
      new RegExp(`\\s${photo.byteLength}\\s+(11-27-2026|2026-11-27) 10:00\\s+${NAMES.photo}`),
    );
    expect(unzip('-Z1', file).toString().trim().split('\n')).toEqual([NAMES.photo, NAMES.utf8, NAMES.json]);
  });

  it('extracts the contents byte for byte', () => {
    expect(Buffer.compare(unzip('-p', file, NAMES.photo), photo)).toBe(0);
    expect(JSON.parse(unzip('-p', file, NAMES.json).toString())).toEqual(JSON.parse(records));
    unzip('-q', '-d', path.join(dir, 'out'), file);
    expect(readFileSync(path.join(dir, 'out', NAMES.utf8), 'utf8')).toBe('utf-8 name');
  });
});

describe.skipIf(!has('python3'))("Python's zipfile", () => {
  it('finds no bad CRC and reads the same names and contents', () => {
    const script = [
      'import json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'print(json.dumps({"bad": z.testzip(), "names": z.namelist(), "json": z.read("records.json").decode()}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, file]).toString()) as {
      bad: string | null;
      names: string[];
      json: string;
    };
    expect(out.bad).toBeNull();
    expect(out.names).toEqual([NAMES.photo, NAMES.utf8, NAMES.json]);
    expect(out.json).toBe(records);
  });
});
