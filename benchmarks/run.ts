// `npm run bench [-- --backends wasm,cpu --threads 1,2 --cases id1,id2 --repeats 5 --quick]`
// Times every case on every available backend, each case in its own process, and writes JSON + Markdown results
// named by backend, tfjs version and CPU model (benchmarks/results/). wasm runs once per `--threads` count (default
// 1 and 2: the targets are single-threaded; 2 is tfjs's multi-threaded XNNPACK build on both cores, see
// src/wasm-threads.ts); its results are labelled `wasm-2threads`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases';
import { REFERENCE_RSS_GB, REFERENCE_SECONDS } from './reference';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const repeats = Number(opt('repeats') ?? (quick ? 2 : 5));

function available(): string[] {
  const out: string[] = [];
  const has = (p: string) => {
    try {
      execFileSync(process.execPath, ['-e', `require.resolve('${p}')`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has('@tensorflow/tfjs-node') || has('@tensorflow/tfjs-node-gpu')) out.push('tensorflow');
  if (has('@tensorflow/tfjs-backend-wasm')) out.push('wasm');
  if (has('@tensorflow/tfjs-backend-cpu')) out.push('cpu');
  return out;
}

const threadCounts = (opt('threads') ?? '1,2').split(',').map(Number);
const backends = (opt('backends')?.split(',') ?? available()).flatMap((b) =>
  b === 'wasm' ? threadCounts.map((t) => ({ backend: b, threads: t })) : [{ backend: b, threads: 1 }],
);
const only = opt('cases')?.split(',');
const tfjsVersion = (
  JSON.parse(readFileSync(join(here, '..', 'node_modules', '@tensorflow', 'tfjs-core', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const cpuModel = cpus()[0]?.model ?? 'unknown-cpu';
const slug = (s: string) => s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '');

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  case: string;
  backend: string;
  medianS: number;
  minS: number;
  maxS: number;
  gflops: number;
  peakRssGb: number;
  tensorsBefore: number;
  tensorsAfter: number;
  refS?: number;
  ratio?: number;
  refRssGb?: number;
}

for (const { backend: backendName, threads } of backends) {
  const backend = threads > 1 ? `${backendName}-${threads}threads` : backendName;
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const spec of CASES) {
    if (only && !only.includes(spec.id)) continue;
    // Data-parallel cases need the second core for their worker: not with 2 XNNPACK threads already on it.
    if (spec.gradWorkers && threads > 1) continue;
    if (backendName === 'cpu' && spec.heavy) {
      skipped.push(spec.id);
      continue;
    }
    process.stdout.write(`${backend} ${spec.id} ... `);
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, 'case-runner.ts'),
        spec.id,
        backendName,
        String(spec.kind === 'train' ? Math.max(2, repeats - 2) : repeats),
        '1',
        String(threads),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      times: number[];
      flops: number;
      tensorsBefore: number;
      tensorsAfter: number;
      peakRssGb: number;
    };
    const med = median(r.times);
    const row: Row = {
      case: spec.id,
      backend,
      medianS: med,
      minS: Math.min(...r.times),
      maxS: Math.max(...r.times),
      gflops: r.flops / 1e9 / med,
      peakRssGb: r.peakRssGb,
      tensorsBefore: r.tensorsBefore,
      tensorsAfter: r.tensorsAfter,
      refS: REFERENCE_SECONDS[spec.id],
      refRssGb: REFERENCE_RSS_GB[spec.id],
    };
    if (row.refS) row.ratio = med / row.refS;
    rows.push(row);
    console.log(`${med.toFixed(3)} s`);
  }
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${slug(backend)}-tfjs${tfjsVersion}-${slug(cpuModel)}`);
  let previous: { rows: Row[]; moe?: string } | undefined;
  if (only && existsSync(`${base}.json`)) {
    // A partial run (--cases) updates its rows in the existing results and keeps the others.
    previous = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { rows: Row[]; moe?: string };
    const fresh = new Map(rows.map((r) => [r.case, r]));
    const merged = previous.rows.map((r) => fresh.get(r.case) ?? r);
    for (const r of rows) if (!previous.rows.some((p) => p.case === r.case)) merged.push(r);
    rows.splice(0, rows.length, ...merged);
  }
  const f = (n: number | undefined, d = 2) => (n === undefined ? '—' : n.toFixed(d));
  const table = [
    `| case | median s | min–max s | GFLOP/s | peak RSS GB | tensors before→after | reference s | × reference |`,
    `|---|---|---|---|---|---|---|---|`,
    ...rows.map(
      (r) =>
        `| ${r.case} | ${f(r.medianS, 3)} | ${f(r.minS)}–${f(r.maxS)} | ${f(r.gflops, 1)} | ${f(r.peakRssGb)} | ${r.tensorsBefore}→${r.tensorsAfter} | ${f(r.refS)} | ${f(r.ratio)} |`,
    ),
  ].join('\n');
  const header = `# masr-net benchmark: backend ${backend}, tfjs ${tfjsVersion}, ${cpuModel}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n\nRepeats: ${repeats} after 1 warm-up (train cases ${Math.max(2, repeats - 2)}); each case in its own process. Train steps: forward + composite loss + backward + global-norm clip + AdamW, micro-batched to fit the wasm heap; ${threads > 1 ? `wasm with ${threads} XNNPACK threads; ` : ''}FLOPs for training counted as 3× forward. Perceptual VGG weights are random (timing only).${skipped.length ? `\nSkipped on ${backend} (too slow for the pure-JS backend): ${skipped.join(', ')}.` : ''}\n\n`;
  console.log('\n' + header + table + '\n');
  let moe = previous?.moe ?? '';
  if (!only || only.includes('moe-k-scaling')) {
    // The MoE k-scaling case: E = 8 experts, k = 1..8, sparse vs dense-mask dispatch.
    process.stdout.write(`${backend} moe-k-scaling ...\n`);
    moe = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(here, 'moe-scaling.ts'), backendName, '1024', '64', '3', String(threads)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
      .split('\n')
      .filter((l) => !/^=+$|^Hi, looks like|^$/.test(l.trim()) || l.startsWith('|'))
      .join('\n');
    console.log(moe);
  }
  writeFileSync(
    `${base}.json`,
    JSON.stringify(
      {
        backend,
        tfjsVersion,
        cpuModel,
        node: process.version,
        date: new Date().toISOString(),
        repeats,
        skipped,
        rows,
        moe,
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(`${base}.md`, header + table + '\n' + (moe ? `\n## MoE k-scaling\n\n${moe.trim()}\n` : ''));
  console.log(`wrote ${base}.json and .md`);
}
