// Generates layer-norm.wat: LayerNorm over rows of d floats (d a multiple of 4) and its input gradient, in
// WebAssembly SIMD on tfjs-backend-wasm's own heap.
//
// Composed from tfjs ops a layer norm is ~6 passes over the data (moments, subtract, rsqrt, multiply, scale, shift),
// ~8.5 ms for [11250, 128] on wasm. Here each row (512 bytes for d = 128, in L1) is read three times (mean,
// variance, output) in one call. Two-pass variance, like tfjs's moments. The gradient kernel takes g = dy·γ and
// returns dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), x̂ = (x − μ)·rstd.
import { heapModuleWat } from './heap-module-wat.mjs';

const c = (v) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;
const hsum = (v) =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/** A loop over one row's vectors: `body` statements see $p (byte offset in the row, 0, 16, …). */
function rowLoop(label, body) {
  return [
    `(local.set $p (i32.const 0))`,
    `(loop ${label}`,
    ...body.map((l) => `  ${l}`),
    `  (local.set $p (i32.add (local.get $p) (i32.const 16)))`,
    `  (br_if ${label} (i32.lt_u (local.get $p) (local.get $rowBytes))))`,
  ];
}

const at = (base) => `(i32.add (local.get ${base}) (local.get $p))`;

/** Mean and rstd of the row at $x into $mean / $rstd (scalars) and $m / $r (splats). */
function moments() {
  return [
    `(local.set $acc ${c(0)})`,
    ...rowLoop('$sum', [`(local.set $acc (f32x4.add (local.get $acc) (v128.load ${at('$x')})))`]),
    `(local.set $mean (f32.div ${hsum('(local.get $acc)')} (local.get $df)))`,
    `(local.set $m (f32x4.splat (local.get $mean)))`,
    `(local.set $acc ${c(0)})`,
    ...rowLoop('$var', [
      `(local.set $t (f32x4.sub (v128.load ${at('$x')}) (local.get $m)))`,
      `(local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))`,
    ]),
    `(local.set $rstd (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div ${hsum('(local.get $acc)')} (local.get $df)) (local.get $eps)))))`,
    `(local.set $r (f32x4.splat (local.get $rstd)))`,
  ];
}

const LOCALS =
  '(local $p i32) (local $rowBytes i32) (local $df f32) (local $mean f32) (local $rstd f32) (local $acc v128) (local $acc2 v128) (local $t v128) (local $m v128) (local $r v128) (local $a v128) (local $b v128)';

/** Loop over rows: `perRow` statements, then every pointer in `advance` moves one row on. */
function rows(perRow, advance) {
  return [
    `  (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))`,
    `  (local.set $df (f32.convert_i32_u (local.get $d)))`,
    `  (block $done (loop $rows`,
    `    (br_if $done (i32.eqz (local.get $rows)))`,
    ...perRow.map((l) => `    ${l}`),
    ...advance.map((ptr) => `    (local.set ${ptr} (i32.add (local.get ${ptr}) (local.get $rowBytes)))`),
    `    (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))`,
    `    (br $rows)))`,
  ];
}

function forward() {
  return [
    `(func (export "layer_norm") (param $x i32) (param $gamma i32) (param $beta i32) (param $out i32) (param $rows i32) (param $d i32) (param $eps f32)`,
    `  ${LOCALS}`,
    ...rows(
      [
        ...moments(),
        ...rowLoop('$write', [
          `(v128.store ${at('$out')} (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load ${at('$x')}) (local.get $m)) (local.get $r)) (v128.load ${at('$gamma')})) (v128.load ${at('$beta')})))`,
        ]),
      ],
      ['$x', '$out'],
    ),
    ')',
  ].join('\n');
}

function backward() {
  return [
    `(func (export "layer_norm_grad") (param $x i32) (param $g i32) (param $out i32) (param $rows i32) (param $d i32) (param $eps f32)`,
    `  ${LOCALS}`,
    ...rows(
      [
        ...moments(),
        // Σ g and Σ g·(x − μ) over the row.
        `(local.set $acc ${c(0)})`,
        `(local.set $acc2 ${c(0)})`,
        ...rowLoop('$dots', [
          `(local.set $a (v128.load ${at('$g')}))`,
          `(local.set $acc (f32x4.add (local.get $acc) (local.get $a)))`,
          `(local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $a) (f32x4.sub (v128.load ${at('$x')}) (local.get $m)))))`,
        ]),
        // $a = mean(g), $b = mean(g·x̂)·rstd (multiplies x − μ below).
        `(local.set $a (f32x4.splat (f32.div ${hsum('(local.get $acc)')} (local.get $df))))`,
        `(local.set $b (f32x4.splat (f32.div (f32.mul (f32.mul ${hsum('(local.get $acc2)')} (local.get $rstd)) (local.get $rstd)) (local.get $df))))`,
        ...rowLoop('$write', [
          `(v128.store ${at('$out')} (f32x4.mul (local.get $r) (f32x4.sub (f32x4.sub (v128.load ${at('$g')}) (local.get $a)) (f32x4.mul (f32x4.sub (v128.load ${at('$x')}) (local.get $m)) (local.get $b)))))`,
        ]),
      ],
      ['$x', '$g', '$out'],
    ),
    ')',
  ].join('\n');
}

/** `shared`: the variant for tfjs's multi-threaded build (see heap-module-wat.mjs). */
export function layerNormWat(shared = false) {
  return heapModuleWat('layer-norm-wat.mjs', shared, [forward(), backward()]);
}
