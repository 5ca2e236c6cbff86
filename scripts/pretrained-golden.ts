/**
 * Record the golden output of each shipped weights set (tests/fixtures/pretrained-golden.json), on the cpu backend.
 * Rerun after scripts/ship-weights.ts:  npx tsx scripts/pretrained-golden.ts
 */
import { writeFileSync } from 'node:fs';
import { selectBackend } from '../src/backend';
import { MASRNet, pretrainedNames, PRETRAINED } from '../src/models/index';
import { goldenOutput } from '../tests/pretrained/golden';

await selectBackend('cpu');
const golden: Record<string, { sha256: string; blockMeans: number[] }> = {};
for (const name of pretrainedNames()) {
  const model = await MASRNet.pretrained(name);
  golden[name] = {
    sha256: PRETRAINED[name]!.sha256,
    blockMeans: (await goldenOutput(model)).map((v) => +v.toFixed(6)),
  };
  model.dispose();
}
writeFileSync('tests/fixtures/pretrained-golden.json', JSON.stringify(golden, null, 1) + '\n');
console.log(`golden outputs of ${Object.keys(golden).join(', ')} written to tests/fixtures/pretrained-golden.json`);
