"""The pipeline's starting noise, ``torch.randn(shape, generator=torch.Generator().manual_seed(seed))``, in plain numpy.

The explorer page (``publish/explore.js``) draws the same noise in JavaScript, so that a seed
gives the same picture in the page as in the film; this module is the same recipe in numpy, and
the tests check it against torch itself. The recipe is torch's CPU generator, step by step:

1. **mt19937**, the 32-bit Mersenne Twister, seeded as ``CPUGeneratorImpl`` seeds it
   (``aten/src/ATen/core/MT19937RNGEngine.h``): ``state[0] = seed``, then
   ``state[i] = 1812433253 * (state[i-1] ^ (state[i-1] >> 30)) + i`` (mod 2**32), 624 words.
2. **A uniform float per number** (``DistributionsHelper.h``, ``uniform_real_distribution<float>``): the
   low 24 bits of one 32-bit draw times 2**-24, a float32 in [0, 1) that is exact.
3. **Box-Muller in blocks of 16** (``native/cpu/DistributionTemplates.h``, ``normal_fill_16_AVX2``): every
   uniform is drawn first; then in each block of 16, for j < 8, with u1 = 1 - u[j] and u2 = u[j + 8],
   ``radius = sqrt(-2 log u1)``, ``theta = 2 pi u2``, ``n[j] = radius cos(theta)`` and
   ``n[j + 8] = radius sin(theta)``. (A count that is not a multiple of 16 redraws 16 uniforms for
   the last block; the embedded model's 3 x 32 x 32 = 3072 numbers are 192 whole blocks.)

On an x86 processor with AVX2, torch computes log, sin and cos there with ``avx_mathfun.h``'s
Cephes polynomials in float32 (``log256_ps``, ``sincos256_ps``), and its compiler fuses each multiply
that feeds an add into one fused multiply-add (rounded once). They are ported below operation by
operation, fused where the build fuses them, so the result is torch's to the bit on such a machine
(the test checks this for several seeds). On a processor without AVX2 torch calls the C library's
``logf``/``cosf``/``sinf`` instead, which differ from these in the last bit or two: a few float32
ulps, far below anything a picture shows.
"""

from __future__ import annotations

import numpy as np

MT_N = 624
MT_M = 397
BLOCK = 16


class MT19937:
    """The 32-bit Mersenne Twister as torch's CPU generator runs it."""

    def __init__(self, seed: int):
        state = [int(seed) & 0xFFFFFFFF]
        for i in range(1, MT_N):
            previous = state[-1]
            state.append((1812433253 * (previous ^ (previous >> 30)) + i) & 0xFFFFFFFF)
        self.state = state
        self.index = MT_N

    def _twist(self) -> None:
        s = self.state
        for i in range(MT_N):
            y = (s[i] & 0x80000000) | (s[(i + 1) % MT_N] & 0x7FFFFFFF)
            s[i] = s[(i + MT_M) % MT_N] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self.index = 0

    def next_u32(self) -> int:
        if self.index >= MT_N:
            self._twist()
        y = self.state[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    def u32(self, count: int) -> np.ndarray:
        return np.array([self.next_u32() for _ in range(count)], dtype=np.uint32)


def uniform24(words: np.ndarray) -> np.ndarray:
    """torch's float uniform: the low 24 bits over 2**24, exact in float32."""
    return ((words & np.uint32(0xFFFFFF)).astype(np.float32) * np.float32(2.0**-24)).astype(np.float32)


_F = np.float32


def _bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=_F).view(np.int32)


def _float(bits) -> np.ndarray:
    return np.asarray(bits).astype(np.int32).view(np.float32)


def fma32(a, b, c) -> np.ndarray:
    """a * b + c rounded once to float32, as the fused multiply-add instruction does.

    In float64 the product of two float32 is exact and the sum is rounded once more; where that
    sum lies exactly halfway between two float32, its rounding error (an exact two-sum) says
    which way the true value lies, so the result is the correctly rounded one.
    """
    a, b, c = (np.asarray(v, dtype=_F).astype(np.float64) for v in (a, b, c))
    p = a * b
    t = p + c
    c_part = t - p
    error = (p - (t - c_part)) + (c - c_part)
    r = t.astype(_F)
    wide = r.astype(np.float64)
    away = np.where(t > wide, np.nextafter(r, _F(np.inf)), np.nextafter(r, _F(-np.inf))).astype(_F)
    tie = (t != wide) & ((wide + away.astype(np.float64)) / 2 == t) & (error != 0)
    towards_away = np.sign(error) == np.sign(away.astype(np.float64) - wide)
    return np.where(tie & towards_away, away, r).astype(_F)


def log_f32(x: np.ndarray) -> np.ndarray:
    """avx_mathfun.h's log256_ps in float32 for x > 0, with the multiply-adds torch's build fuses."""
    x = np.maximum(np.asarray(x, dtype=_F), _float(0x00800000))
    exponent = (_bits(x) >> 23) - 0x7F
    x = _float((_bits(x) & ~0x7F800000) | _bits(_F(0.5)))
    e = exponent.astype(_F) + _F(1.0)
    mask = x < _F(0.707106781186547524)
    tmp = np.where(mask, x, _F(0.0)).astype(_F)
    x = (x - _F(1.0)).astype(_F)
    e = (e - np.where(mask, _F(1.0), _F(0.0))).astype(_F)
    x = (x + tmp).astype(_F)
    z = (x * x).astype(_F)
    y = np.full_like(x, _F(7.0376836292e-2))
    for c in (-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
              2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1):
        y = fma32(y, x, c)
    y = (y * x).astype(_F)
    y = fma32(y, z, (e * _F(-2.12194440e-4)).astype(_F))
    y = fma32(z, -0.5, y)
    x = (x + y).astype(_F)
    return fma32(e, 0.693359375, x)


def sincos_f32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """avx_mathfun.h's sincos256_ps in float32, with the multiply-adds torch's build fuses: (sin x, cos x)."""
    x = np.asarray(x, dtype=_F)
    sign_sin = _bits(x) & np.int32(-0x80000000)
    x = np.abs(x).astype(_F)
    y = (x * _F(1.27323954473516)).astype(_F)
    j = y.astype(np.int32)  # truncation, as cvttps
    j = (j + 1) & ~1
    y = j.astype(_F)
    swap_sin = (j & 4) << 29
    poly = (j & 2) == 0
    x = fma32(y, -0.78515625, x)
    x = fma32(y, -2.4187564849853515625e-4, x)
    x = fma32(y, -3.77489497744594108e-8, x)
    sign_cos = (~(j - 2) & 4) << 29
    sign_sin = sign_sin ^ swap_sin
    z = (x * x).astype(_F)
    c = fma32(2.443315711809948e-005, z, -1.388731625493765e-003)
    c = fma32(c, z, 4.166664568298827e-002)
    c = (c * z).astype(_F)
    c = fma32(c, z, -(z * _F(0.5)).astype(_F))
    c = (c + _F(1.0)).astype(_F)
    s = fma32(-1.9515295891e-4, z, 8.3321608736e-3)
    s = fma32(s, z, -1.6666654611e-1)
    s = (s * z).astype(_F)
    s = fma32(s, x, x)
    sin = np.where(poly, s, c).astype(_F)
    cos = np.where(poly, c, s).astype(_F)
    return _float(_bits(sin) ^ sign_sin), _float(_bits(cos) ^ sign_cos)


def box_muller_16(u: np.ndarray) -> np.ndarray:
    """Blocks of 16 uniforms (..., 16) to 16 standard normals each, as normal_fill_16_AVX2 does it (mean 0, std 1)."""
    u1 = (_F(1.0) - u[..., :8]).astype(_F)
    u2 = u[..., 8:]
    radius = np.sqrt((_F(-2.0) * log_f32(u1)).astype(_F)).astype(_F)
    theta = (_F(2.0 * np.pi) * u2).astype(_F)
    sin, cos = sincos_f32(theta)
    return np.concatenate([(radius * cos).astype(_F), (radius * sin).astype(_F)], axis=-1)


def randn(shape, seed: int) -> np.ndarray:
    """``torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)``, as float32."""
    shape = tuple(int(n) for n in shape)
    count = int(np.prod(shape))
    if count < BLOCK:
        raise ValueError(f"fewer than {BLOCK} numbers are drawn another way by torch; this port draws {BLOCK} or more")
    rng = MT19937(seed)
    data = uniform24(rng.u32(count))
    blocks = count // BLOCK
    out = np.empty(count, dtype=_F)
    out[:blocks * BLOCK] = box_muller_16(data[:blocks * BLOCK].reshape(blocks, BLOCK)).ravel()
    if count % BLOCK:
        out[count - BLOCK:] = box_muller_16(uniform24(rng.u32(BLOCK)))
    return out.reshape(shape)
