import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveWeb } from '../../examples/web/serve';
import { MASRNet } from '../../src/index';
import { resolveAgainstPage } from '../../src/models/persistence';

// Issue 16: MASRNet.load('/model/model.json') in a page failed with "no tfjs IO handler accepts". Here a page is
// simulated by `location` (what resolveAgainstPage reads) and the model is served over HTTP by the demo's server.
const g = globalThis as { location?: { href: string } };
afterEach(() => {
  delete g.location;
});

describe('relative model URLs (issue 16)', () => {
  it('resolve against the page address, and only in a page', () => {
    expect(resolveAgainstPage('/m/model.json')).toBe('/m/model.json');
    g.location = { href: 'http://example.test/app/index.html' };
    expect(resolveAgainstPage('/m/model.json')).toBe('http://example.test/m/model.json');
    expect(resolveAgainstPage('m/model.json')).toBe('http://example.test/app/m/model.json');
    expect(resolveAgainstPage('indexeddb://m')).toBe('indexeddb://m');
    expect(resolveAgainstPage('https://cdn.test/m.json')).toBe('https://cdn.test/m.json');
  });

  it('MASRNet.load reads a model from a page-relative URL over HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masr-rel-'));
    const model = MASRNet.create('lolv1');
    await model.save(`file://${join(dir, 'model')}`);
    const server = await serveWeb(dir, 0);
    try {
      g.location = { href: `http://127.0.0.1:${(server.address() as { port: number }).port}/app/index.html` };
      const loaded = await MASRNet.load('../model/model.json');
      const x = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const a = model.enhance(x);
      const b = loaded.enhance(x);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      tf.dispose([x, a, b]);
      loaded.dispose();
    } finally {
      server.close();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
