// Generates gelu.wat: exact GELU and its gradient in WebAssembly SIMD, on tfjs-backend-wasm's own heap.
//
// The maths (see src/kernels/gelu.ts): z = |x|/√2, t = 1/(1 + z/2), P(t) the Chebyshev fit of erfc (Numerical
// Recipes §6.2, fractional error < 1.2e-7), tail = t/2 · exp(P(t) − z²) = Φ(−|x|); Φ(x) = 1 − tail for x ≥ 0, else
// tail; gelu = x Φ(x); gelu' = Φ(x) + x φ(x), φ = exp(−z²)/√(2π).
// exp(a) for a in [−87, 80]: 2^n e^r, n = round(a/ln 2), r = a − n ln 2 (Cody–Waite split), degree-6 Taylor for e^r
// (|r| ≤ ln2/2, relative error ~1e-7), 2^n written into the exponent bits.
//
// Every step is a long dependent chain (two Horner polynomials, a division), so one vector at a time is latency
// bound: the main loop interleaves UNROLL vectors, statement by statement, to keep the SIMD units busy.
import { heapModuleWat } from './heap-module-wat.mjs';

const UNROLL = 8; // a power of two (the main loop's bound is a mask); 8 measured fastest of 1-16
const ERFC_FIT = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];
const EXP_TAYLOR = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720];

const c = (v) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;

/** Statements for one vector; `$name` locals get the vector's suffix, `@k` is the byte offset of vector k. */
function expInto(dst, arg) {
  const lines = [
    // pmin/pmax are single x86 instructions (min/max must order NaNs and signed zeros: several). Adding 1.5·2^23
    // rounds a/ln2 to the nearest integer and leaves it in the low mantissa bits, read back as an int32.
    `(local.set $ea (f32x4.pmin ${c(80)} (f32x4.pmax ${c(-87)} ${arg})))`,
    `(local.set $en (f32x4.add (f32x4.mul (local.get $ea) ${c(1.4426950408889634)}) ${c(12582912)}))`,
    `(local.set $ei (i32x4.sub (local.get $en) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))`,
    `(local.set $en (f32x4.sub (local.get $en) ${c(12582912)}))`,
    `(local.set $er (f32x4.sub (local.get $ea) (f32x4.mul (local.get $en) ${c(0.693359375)})))`,
    `(local.set $er (f32x4.sub (local.get $er) (f32x4.mul (local.get $en) ${c(-2.1219444e-4)})))`,
    `(local.set $ep ${c(EXP_TAYLOR[6])})`,
  ];
  for (let i = 5; i >= 0; i--) {
    lines.push(`(local.set $ep (f32x4.add (f32x4.mul (local.get $ep) (local.get $er)) ${c(EXP_TAYLOR[i])}))`);
  }
  lines.push(
    `(local.set ${dst} (f32x4.mul (local.get $ep) (i32x4.shl (i32x4.add (local.get $ei) (v128.const i32x4 127 127 127 127)) (i32.const 23))))`,
    // Below the clamp the true value underflows: 0, not e^-87 (else the gradient of huge |x| would not vanish).
    `(local.set ${dst} (v128.and (local.get ${dst}) (f32x4.ge ${arg} ${c(-87)})))`,
  );
  return lines;
}

function common() {
  const lines = [
    `(local.set $v (v128.load offset=@ align=4 (local.get $x)))`,
    `(local.set $z (f32x4.mul (f32x4.abs (local.get $v)) ${c(Math.SQRT1_2)}))`,
    `(local.set $t (f32x4.div ${c(1)} (f32x4.add ${c(1)} (f32x4.mul (local.get $z) ${c(0.5)}))))`,
    `(local.set $p ${c(ERFC_FIT[9])})`,
  ];
  for (let i = 8; i >= 0; i--) {
    lines.push(`(local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) ${c(ERFC_FIT[i])}))`);
  }
  lines.push(...expInto('$e1', `(f32x4.sub (local.get $p) (f32x4.mul (local.get $z) (local.get $z)))`));
  lines.push(
    `(local.set $tail (f32x4.mul (f32x4.mul (local.get $t) ${c(0.5)}) (local.get $e1)))`,
    `(local.set $phi (v128.bitselect (f32x4.sub ${c(1)} (local.get $tail)) (local.get $tail) (f32x4.ge (local.get $v) ${c(0)})))`,
  );
  return lines;
}

const BODIES = {
  gelu: {
    params: '(param $x i32) (param $out i32) (param $groups i32)',
    pointers: ['$x', '$out'],
    lines: () => [
      ...common(),
      `(v128.store offset=@ align=4 (local.get $out) (f32x4.mul (local.get $v) (local.get $phi)))`,
    ],
  },
  gelu_grad: {
    params: '(param $x i32) (param $dy i32) (param $out i32) (param $groups i32)',
    pointers: ['$x', '$dy', '$out'],
    lines: () => [
      ...common(),
      ...expInto('$e2', `(f32x4.neg (f32x4.mul (local.get $z) (local.get $z)))`),
      `(v128.store offset=@ align=4 (local.get $out) (f32x4.mul (v128.load offset=@ align=4 (local.get $dy)) (f32x4.add (local.get $phi) (f32x4.mul (local.get $v) (f32x4.mul (local.get $e2) ${c(1 / Math.sqrt(2 * Math.PI))})))))`,
    ],
  },
};

const VECTOR_LOCALS = ['v', 'z', 't', 'p', 'e1', 'e2', 'tail', 'phi', 'ea', 'en', 'ei', 'er', 'ep'];

/** The statements for `count` interleaved vectors. */
function interleaved(lines, count) {
  const out = [];
  for (const line of lines) {
    for (let k = 0; k < count; k++) {
      out.push(
        line
          .replace(/\$([a-z0-9]+)/g, (m, name) => (VECTOR_LOCALS.includes(name) ? `$${name}${k}` : m))
          .replace(/offset=@/g, `offset=${16 * k}`),
      );
    }
  }
  return out;
}

function func(name, { params, pointers, lines }) {
  const locals = [];
  for (let k = 0; k < UNROLL; k++) for (const l of VECTOR_LOCALS) locals.push(`(local $${l}${k} v128)`);
  const main = interleaved(lines(), UNROLL);
  const tail = interleaved(lines(), 1);
  const advance = (bytes) => pointers.map((p) => `(local.set ${p} (i32.add (local.get ${p}) (i32.const ${bytes})))`);
  return [
    `(func (export "${name}") ${params}`,
    `  ${locals.join(' ')} (local $end i32) (local $mainEnd i32)`,
    `  (local.set $end (i32.add (local.get $x) (i32.shl (local.get $groups) (i32.const 4))))`,
    `  (local.set $mainEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $groups) (i32.const ${-UNROLL})) (i32.const 4))))`,
    `  (block $mainDone (loop $main`,
    `    (br_if $mainDone (i32.ge_u (local.get $x) (local.get $mainEnd)))`,
    ...main.map((l) => `    ${l}`),
    ...advance(16 * UNROLL).map((l) => `    ${l}`),
    `    (br $main)))`,
    `  (block $tailDone (loop $tail`,
    `    (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))`,
    ...tail.map((l) => `    ${l}`),
    ...advance(16).map((l) => `    ${l}`),
    `    (br $tail))))`,
  ].join('\n');
}

/** `shared`: the variant for tfjs's multi-threaded build (see heap-module-wat.mjs). */
export function geluWat(shared = false) {
  return heapModuleWat(
    'gelu-wat.mjs',
    shared,
    Object.entries(BODIES).map(([name, body]) => func(name, body)),
  );
}
