// Generates batch-matmul.wat: C[b] = A[b] · B[b] for many small float32 matrices (row-major, no transposes), in
// WebAssembly SIMD on tfjs-backend-wasm's own heap.
//
// tfjs-wasm runs a batched product with more than one batch entry through a scalar loop (~2 GFLOP/s for MASR-Net's
// per-window attention products, [3750, 6, 24] · [3750, 24, 64]). Here each output block of R rows × 4V columns
// keeps its R·V accumulator vectors in locals over the whole k loop: per step, R splats of A, V loads of B and R·V
// multiply-adds (wasm SIMD has no fused multiply-add: f32x4.mul then f32x4.add, so the rounding is that of the plain
// product). Column tails of fewer than 4 run scalar. Blocks: R ∈ {2, 1}, V ∈ {4, 1}; 2 × 4 uses 14 vector
// registers (x64 has 16).
import { heapModuleWat } from './heap-module-wat.mjs';

const ROWS = [2, 1];

function name(r, v) {
  return v === 0 ? `$s${r}` : `$r${r}v${v}`;
}

/** An R × 4V block (V = 0: R × 1, scalar): a at row 0 / column 0, lda, ldb, ldc in bytes, k ≥ 1 steps. */
function block(r, v) {
  const scalar = v === 0;
  const vt = scalar ? 'f32' : 'v128';
  const accs = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < Math.max(v, 1); j++) accs.push(`$c${i}_${j}`);
  const lines = [
    `(func ${name(r, v)} (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $k i32)`,
    `  ${accs.map((x) => `(local ${x} ${vt})`).join(' ')}`,
    `  ${Array.from({ length: r }, (_, i) => `(local $s${i} ${vt})`).join(' ')}`,
    `  ${Array.from({ length: Math.max(v, 1) }, (_, j) => `(local $b${j} ${vt})`).join(' ')}`,
    `  (local $a1 i32)`,
    `  (local.set $a1 (i32.add (local.get $a) (local.get $lda)))`,
    `  (loop $step`,
  ];
  for (let i = 0; i < r; i++) {
    const load = `(f32.load (local.get $a${i === 0 ? '' : '1'}))`;
    lines.push(`    (local.set $s${i} ${scalar ? load : `(f32x4.splat ${load})`})`);
  }
  for (let j = 0; j < Math.max(v, 1); j++) {
    lines.push(`    (local.set $b${j} (${scalar ? 'f32' : 'v128'}.load offset=${16 * j} (local.get $b)))`);
  }
  const add = scalar ? 'f32.add' : 'f32x4.add';
  const mul = scalar ? 'f32.mul' : 'f32x4.mul';
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < Math.max(v, 1); j++) {
      lines.push(
        `    (local.set $c${i}_${j} (${add} (local.get $c${i}_${j}) (${mul} (local.get $s${i}) (local.get $b${j}))))`,
      );
    }
  }
  lines.push(
    `    (local.set $a (i32.add (local.get $a) (i32.const 4)))`,
    `    (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))`,
    `    (local.set $b (i32.add (local.get $b) (local.get $ldb)))`,
    `    (local.set $k (i32.sub (local.get $k) (i32.const 1)))`,
    `    (br_if $step (local.get $k)))`,
  );
  for (let i = 0; i < r; i++) {
    const row = i === 0 ? '(local.get $c)' : '(i32.add (local.get $c) (local.get $ldc))';
    for (let j = 0; j < Math.max(v, 1); j++) {
      lines.push(`  (${scalar ? 'f32' : 'v128'}.store offset=${16 * j} ${row} (local.get $c${i}_${j}))`);
    }
  }
  lines.push(')');
  return lines.join('\n');
}

/** The column loop of one row block: 16-column blocks, then 4-column, then single columns. */
function columns(r) {
  const call = (v) =>
    `(call ${name(r, v)} (local.get $ar) (local.get $lda) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldb) (i32.add (local.get $cr) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldc) (local.get $k))`;
  const loop = (v, width, bound) => [
    `(block $done${r}_${v} (loop $cols${r}_${v}`,
    `  (br_if $done${r}_${v} (i32.gt_u (i32.add (local.get $j) (i32.const ${width})) ${bound}))`,
    `  ${call(v)}`,
    `  (local.set $j (i32.add (local.get $j) (i32.const ${width})))`,
    `  (br $cols${r}_${v})))`,
  ];
  return [
    `(local.set $j (i32.const 0))`,
    ...loop(4, 16, '(local.get $n)'),
    ...loop(1, 4, '(local.get $n)'),
    ...loop(0, 1, '(local.get $n)'),
  ];
}

/** bmm(a, b, c, batch, m, k, n): every C[t] (m × n) = A[t] (m × k) · B[t] (k × n), contiguous; k ≥ 1. */
function entry() {
  const lines = [
    `(func (export "bmm") (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)`,
    `  (local $lda i32) (local $ldb i32) (local $ldc i32) (local $i i32) (local $j i32) (local $ar i32) (local $cr i32)`,
    `  (local.set $lda (i32.shl (local.get $k) (i32.const 2)))`,
    `  (local.set $ldb (i32.shl (local.get $n) (i32.const 2)))`,
    `  (local.set $ldc (local.get $ldb))`,
    `  (block $batchDone (loop $batches`,
    `    (br_if $batchDone (i32.eqz (local.get $batch)))`,
    `    (local.set $i (i32.const 0))`,
  ];
  for (const r of ROWS) {
    lines.push(
      `    (block $rowsDone${r} (loop $rows${r}`,
      `      (br_if $rowsDone${r} (i32.gt_u (i32.add (local.get $i) (i32.const ${r})) (local.get $m)))`,
      `      (local.set $ar (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))`,
      `      (local.set $cr (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))`,
      ...columns(r).map((l) => `      ${l}`),
      `      (local.set $i (i32.add (local.get $i) (i32.const ${r})))`,
      `      (br $rows${r})))`,
    );
  }
  lines.push(
    `    (local.set $a (i32.add (local.get $a) (i32.mul (local.get $m) (local.get $lda))))`,
    `    (local.set $b (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $ldb))))`,
    `    (local.set $c (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $ldc))))`,
    `    (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))`,
    `    (br $batches)))`,
    ')',
  );
  return lines.join('\n');
}

/** `shared`: the variant for tfjs's multi-threaded build (see heap-module-wat.mjs). */
export function batchMatMulWat(shared = false) {
  const blocks = [];
  for (const r of ROWS) for (const v of [4, 1, 0]) blocks.push(block(r, v));
  return heapModuleWat('batch-matmul-wat.mjs', shared, [...blocks, entry()]);
}
