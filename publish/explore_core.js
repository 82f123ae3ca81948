// The explorer's arithmetic, with no page and no model: torch's starting noise, the tokenizer, the DDIM
// step, the spherical plane of three seeds, pictures and the film's measures. Each follows the Python
// side step for step (pipeline/portable_noise.py, pipeline/export_web.py, pipeline/experiments/explore.py),
// in float32 where torch computes in float32: Math.fround after every operation, so the page makes the
// pipeline's picture. tests/test_explore_page.py runs these functions in Node and holds them against
// torch and the Hugging Face tokenizer.

const F = Math.fround;
const scratch = new ArrayBuffer(4);
const f32 = new Float32Array(scratch);
const i32 = new Int32Array(scratch);

function bitsOf(x) { f32[0] = x; return i32[0]; }
function fromBits(b) { i32[0] = b | 0; return f32[0]; }

function nextAfter32(x, up) {
  if (x === 0) return fromBits(up ? 1 : 0x80000001);
  const b = bitsOf(x);
  return fromBits((x > 0) === up ? b + 1 : b - 1);
}

// a * b + c rounded once to float32 (a fused multiply-add), for float32 a, b, c: the product is exact
// in float64 and the sum rounds once more, so where it lands exactly between two float32 its two-sum
// error says which way the true value lies.
export function fma32(a, b, c) {
  const p = a * b;
  const t = p + c;
  const cPart = t - p;
  const error = (p - (t - cPart)) + (c - cPart);
  const r = F(t);
  if (t === r || error === 0) return r;
  const away = nextAfter32(r, t > r);
  if ((r + away) / 2 === t && Math.sign(error) === Math.sign(away - r)) return away;
  return r;
}

// ----------------------------------------------------------------------------- torch's CPU generator

// mt19937 seeded as torch's CPUGeneratorImpl seeds it (aten/src/ATen/core/MT19937RNGEngine.h).
export class MT19937 {
  constructor(seed) {
    this.state = new Uint32Array(624);
    this.state[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  twist() {
    const s = this.state;
    for (let i = 0; i < 624; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % 624] & 0x7fffffff);
      s[i] = (s[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.index = 0;
  }

  next() {
    if (this.index >= 624) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

// torch's float uniform: the low 24 bits of a draw over 2**24 (exact in float32).
function uniform24(rng) { return (rng.next() & 0xffffff) * 5.9604644775390625e-8; }

const MIN_NORM = fromBits(0x00800000);
const SQRTHF = F(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(F);

// avx_mathfun.h's log256_ps for x > 0, with the multiply-adds torch's build fuses.
export function logf(x0) {
  let x = Math.max(x0, MIN_NORM);
  const exponent = (bitsOf(x) >>> 23) - 0x7f;
  x = fromBits((bitsOf(x) & ~0x7f800000) | 0x3f000000);
  let e = F(exponent + 1);
  const mask = x < SQRTHF;
  const tmp = mask ? x : 0;
  x = F(x - 1);
  e = F(e - (mask ? 1 : 0));
  x = F(x + tmp);
  const z = F(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < LOG_P.length; k++) y = fma32(y, x, LOG_P[k]);
  y = F(y * x);
  y = fma32(y, z, F(e * F(-2.12194440e-4)));
  y = fma32(z, -0.5, y);
  x = F(x + y);
  return fma32(e, 0.693359375, x);
}

const FOPI = F(1.27323954473516);
const DP = [-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8].map(F);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(F);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(F);

// avx_mathfun.h's sincos256_ps, with the multiply-adds torch's build fuses: [sin x, cos x].
export function sincosf(theta) {
  const bits = bitsOf(theta);
  let signSin = bits & 0x80000000;
  let x = fromBits(bits & 0x7fffffff);
  let j = Math.trunc(F(x * FOPI)) | 0;
  j = (j + 1) & ~1;
  const y = j;
  const swap = (j & 4) << 29;
  const poly = (j & 2) === 0;
  x = fma32(y, DP[0], x);
  x = fma32(y, DP[1], x);
  x = fma32(y, DP[2], x);
  const signCos = (~(j - 2) & 4) << 29;
  signSin ^= swap;
  const z = F(x * x);
  let c = fma32(COS_P[0], z, COS_P[1]);
  c = fma32(c, z, COS_P[2]);
  c = F(c * z);
  c = fma32(c, z, -F(z * 0.5));
  c = F(c + 1);
  let s = fma32(SIN_P[0], z, SIN_P[1]);
  s = fma32(s, z, SIN_P[2]);
  s = F(s * z);
  s = fma32(s, x, x);
  const sin = poly ? s : c;
  const cos = poly ? c : s;
  return [fromBits(bitsOf(sin) ^ signSin), fromBits(bitsOf(cos) ^ signCos)];
}

const TWO_PI = F(2 * Math.PI);

function boxMuller16(data, at) {
  for (let j = 0; j < 8; j++) {
    const u1 = F(1 - data[at + j]);
    const u2 = data[at + j + 8];
    const radius = F(Math.sqrt(F(-2 * logf(u1))));
    const [sin, cos] = sincosf(F(TWO_PI * u2));
    data[at + j] = F(radius * cos);
    data[at + j + 8] = F(radius * sin);
  }
}

// torch.randn(count, generator=torch.Generator().manual_seed(seed)) on the CPU, as a Float32Array.
export function randn(count, seed) {
  if (count < 16) throw new Error("torch draws fewer than 16 numbers another way");
  const rng = new MT19937(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = uniform24(rng);
  for (let i = 0; i + 16 <= count; i += 16) boxMuller16(data, i);
  if (count % 16) {
    const tail = new Float32Array(16);
    for (let i = 0; i < 16; i++) tail[i] = uniform24(rng);
    boxMuller16(tail, 0);
    data.set(tail, count - 16);
  }
  return data;
}

// ----------------------------------------------------------------------------- the tokenizer

// BERT's uncased WordPiece as the Hugging Face tokenizer runs it for all-MiniLM-L6-v2: clean the text,
// space out CJK characters, strip accents (NFD, drop nonspacing marks), lower-case each character, split
// at white space and punctuation, then take the longest word pieces in the vocabulary.
const CONTROL = /\p{C}/u;
const WHITE = /\p{White_Space}/u;
const PUNCT = /[!-\/:-@\[-`{-~]|\p{P}/u;
const MARK = /\p{Mn}/u;

function isCJK(cp) {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df)
    || (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

export function normalize(text) {
  let out = "";
  for (const ch of text) {
    if (ch === "\t" || ch === "\n" || ch === "\r") { out += " "; continue; }
    if (ch === "\0" || ch === "\ufffd" || CONTROL.test(ch)) continue;
    if (WHITE.test(ch)) { out += " "; continue; }
    out += isCJK(ch.codePointAt(0)) ? ` ${ch} ` : ch;
  }
  let stripped = "";
  for (const ch of out.normalize("NFD")) if (!MARK.test(ch)) stripped += ch;
  let lower = "";
  for (const ch of stripped) lower += ch.toLowerCase();
  return lower;
}

export function words(normalized) {
  const found = [];
  let word = "";
  for (const ch of normalized) {
    if (WHITE.test(ch)) {
      if (word) found.push(word);
      word = "";
    } else if (PUNCT.test(ch)) {
      if (word) found.push(word);
      found.push(ch);
      word = "";
    } else {
      word += ch;
    }
  }
  if (word) found.push(word);
  return found;
}

export class Tokenizer {
  constructor(vocabText, rules) {
    const pieces = vocabText.split("\n");
    if (pieces[pieces.length - 1] === "") pieces.pop();
    this.pieces = pieces;
    this.ids = new Map(pieces.map((piece, id) => [piece, id]));
    this.rules = rules;
  }

  wordPieces(word) {
    const chars = Array.from(word);
    const unk = this.pieces[this.rules.special.unk];
    if (chars.length > this.rules.max_word_chars) return [unk];
    const found = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let piece = null;
      while (start < end) {
        const candidate = (start > 0 ? this.rules.continuing_prefix : "") + chars.slice(start, end).join("");
        if (this.ids.has(candidate)) { piece = candidate; break; }
        end--;
      }
      if (piece === null) return [unk];
      found.push(piece);
      start = end;
    }
    return found;
  }

  // The prompt's word pieces with [CLS] and [SEP], as the Python tokenizer gives them (never cut).
  tokens(text) {
    const pieces = words(normalize(text)).flatMap((word) => this.wordPieces(word));
    const s = this.rules.special;
    return [this.pieces[s.cls], ...pieces, this.pieces[s.sep]];
  }

  // ids and attention mask padded to max_tokens, or {tooLong} with the number of word pieces.
  encode(text) {
    const tokens = this.tokens(text);
    const max = this.rules.max_tokens;
    if (tokens.length > max) return { tokens, tooLong: tokens.length - 2 };
    const ids = new Array(max).fill(this.rules.special.pad);
    const mask = new Array(max).fill(0);
    tokens.forEach((token, i) => { ids[i] = this.ids.get(token); mask[i] = 1; });
    return { tokens, ids, mask };
  }
}

// ----------------------------------------------------------------------------- the walk

function roundHalfEven(x) {
  const r = Math.round(x);
  return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

// diffusers' "trailing" spacing, as numpy computes it: round(arange(T, 0, -T/steps)) - 1 (half to even).
// For some step counts (61, 103, ...) arange gives one more value, and its last timestep is -1, which
// Python's indexing reads as the schedule's last entry; the pipeline walks it so, and so does this.
export function trailingTimesteps(steps, train = 1000) {
  const step = -(train / steps);
  const count = Math.ceil((0 - train) / step);
  // numpy's arange: the first two values, then start + i * (second - start)
  const second = train + step;
  const delta = second - train;
  const values = [train, second];
  for (let i = 2; i < count; i++) values.push(train + i * delta);
  return values.slice(0, count).map((value) => roundHalfEven(value) - 1);
}

// Python's indexing: -1 is the last entry.
function at(table, t) { return F(table[t < 0 ? table.length + t : t]); }

// The schedule's levels at timestep t: sqrt(a), what remains of the picture, and sqrt(1 - a), the noise's
// share; torch's own values from explore.json (its ** 0.5 is not always the correctly rounded root).
export function levels(schedule, t) {
  return { signal: at(schedule.sqrt_alpha, t), noise: at(schedule.sqrt_one_minus_alpha, t) };
}

// Classifier-free guidance on the UNet's batch of two (unconditional first): u + g (c - u), in float32.
export function guide(both, guidance, size) {
  const g = F(guidance);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = both[i];
    out[i] = F(u + F(g * F(both[size + i] - u)));
  }
  return out;
}

// DDIMScheduler.step for v-prediction, eta 0, no clipping: {x: the state at the previous timestep, guess: x0-hat}.
export function ddimStep(v, t, x, steps, schedule) {
  const previous = t - Math.floor(schedule.num_train_timesteps / steps);
  const { signal: sa, noise: sb } = levels(schedule, t);
  const sp = previous >= 0 ? at(schedule.sqrt_alpha, previous) : F(schedule.sqrt_final_alpha);
  const sd = previous >= 0 ? at(schedule.sqrt_one_minus_alpha, previous) : F(schedule.sqrt_one_minus_final_alpha);
  const n = x.length;
  const next = new Float32Array(n);
  const guess = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = F(F(sa * x[i]) - F(sb * v[i]));
    const eps = F(F(sa * v[i]) + F(sb * x[i]));
    guess[i] = g;
    next[i] = F(F(sp * g) + F(sd * eps));
  }
  return { x: next, guess };
}

// ----------------------------------------------------------------------------- the plane of three seeds

function dot(a, b) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }

// Chapter 12's noise at (u, v): from seed A's noise turn u of the way towards B's and v towards C's along
// the sphere (tangent directions at A), the length interpolated; (0,0), (1,0), (0,1) are A, B and C exactly.
export function planeNoise(a, b, c, u, v) {
  if (u === 0 && v === 0) return Float32Array.from(a);
  if (u === 1 && v === 0) return Float32Array.from(b);
  if (u === 0 && v === 1) return Float32Array.from(c);
  const n = a.length;
  const lengths = [a, b, c].map((x) => Math.sqrt(dot(x, x)));
  const unitA = Float64Array.from(a, (x) => x / lengths[0]);
  const towards = (x, length) => {
    const along = dot(x, unitA);
    const tangent = Float64Array.from(x, (value, i) => value - along * unitA[i]);
    const norm = Math.sqrt(dot(tangent, tangent));
    const angle = Math.acos(Math.min(1, Math.max(-1, along / length)));
    return { dir: tangent.map((value) => value / norm), angle };
  };
  const toB = towards(b, lengths[1]);
  const toC = towards(c, lengths[2]);
  const step = new Float64Array(n);
  for (let i = 0; i < n; i++) step[i] = u * toB.angle * toB.dir[i] + v * toC.angle * toC.dir[i];
  const turn = Math.sqrt(dot(step, step));
  const length = lengths[0] + u * (lengths[1] - lengths[0]) + v * (lengths[2] - lengths[0]);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const direction = turn === 0 ? unitA[i] : Math.cos(turn) * unitA[i] + Math.sin(turn) * step[i] / turn;
    out[i] = direction * length;
  }
  return out;
}

export function angleDegrees(a, b) {
  const cos = dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
  return Math.acos(Math.min(1, Math.max(-1, cos))) * 180 / Math.PI;
}

export function norm(a) { return Math.sqrt(dot(a, a)); }

// ----------------------------------------------------------------------------- pictures and measures

// A state (3, H, W) in [-1, 1] as RGBA bytes (H, W, 4), mapped as the pipeline maps its output:
// clamp, (x + 1) / 2 in float32, times 255 rounded half to even.
export function toRGBA(state, size) {
  const plane = size * size;
  const out = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const x = Math.min(1, Math.max(-1, state[ch * plane + p]));
      out[p * 4 + ch] = roundHalfEven(F(F(F(x + 1) / 2) * 255));
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

// pipeline/experiments/measures.py's picture_distance on two RGBA pictures: RMS brightness, % of full.
export function pictureDistance(a, b) {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = (a[i] - b[i]) / 255;
    sum += d * d;
    count++;
  }
  return 100 * Math.sqrt(sum / count);
}

// ----------------------------------------------------------------------------- checking what was downloaded

const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// SHA-256 of bytes in plain JavaScript (FIPS 180-4), for pages served where crypto.subtle is not offered
// (plain http from another machine); the same hex digest as Python's hashlib.
export function sha256Plain(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + 4 * i);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    const next = [a, b, c, d, e, f, g, k];
    for (let i = 0; i < 8; i++) h[i] = (h[i] + next[i]) >>> 0;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
}

// SHA-256 of bytes as hex: the browser's own where it offers it, else the plain one above.
export async function sha256Hex(bytes) {
  if (globalThis.crypto && globalThis.crypto.subtle) {
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  return sha256Plain(bytes);
}
