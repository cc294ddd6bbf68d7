import { describe, expect, it } from 'vitest';
import { readCustomVisionError } from '../../../src/shared/custom-vision-error.ts';
import { isObject } from '../../../src/shared/json.ts';

describe('readCustomVisionError', () => {
  it("reads Custom Vision's flat shape", () => {
    expect(readCustomVisionError({ code: 'BadRequestImageFormat', message: 'Bad image' })).toEqual({
      code: 'BadRequestImageFormat',
      message: 'Bad image',
    });
  });

  it("prefers a gateway's wrapped error, and takes a numeric code or a bare string", () => {
    expect(readCustomVisionError({ code: 'outer', error: { code: 429, message: 'slow down' } })).toEqual({
      code: '429',
      message: 'slow down',
    });
    expect(readCustomVisionError({ error: 'Unauthorized' })).toEqual({
      code: undefined,
      message: 'Unauthorized',
    });
    expect(readCustomVisionError('just text')).toEqual({ message: 'just text' });
  });

  it('finds nothing in what is not an error body', () => {
    expect(readCustomVisionError(null)).toEqual({});
    expect(readCustomVisionError([{ code: 'x' }])).toEqual({});
    expect(readCustomVisionError({ code: '  ', message: '' })).toEqual({
      code: undefined,
      message: undefined,
    });
  });
});

describe('isObject', () => {
  it('is true only for plain objects', () => {
    expect(isObject({})).toBe(true);
    expect(isObject(null)).toBe(false);
    expect(isObject([])).toBe(false);
    expect(isObject('{}')).toBe(false);
  });
});
