// y (N, O) = x (N, I) · wᵀ with bfloat16 operands and float32 sums (AVX512_BF16's vdpbf16ps).
// Shapes: N rows, I inputs, O outputs; I2 = ceil(I / 2) input pairs, O16 = ceil(O / 16) panels.
//
// The weight is packed once into panels of 16 outputs: panel p holds, for each input pair kp,
// the 16 outputs' pairs (w[16p + c][2kp], w[16p + c][2kp + 1]) for c < 16 — 32 bfloat16, one
// 512-bit register — so the kernel broadcasts one pair of x and multiplies it by 16 outputs at
// once, with no horizontal sums. Padding (odd I, O not a multiple of 16) is zero.
//
// Only the functions marked TVB_BF16_TARGET use AVX-512 instructions; the rest of CKernels keeps
// the AVX2 baseline, and callers check tvb_cpu_has_avx512bf16() first.
#include "ckernels.h"
#include <immintrin.h>
#include <string.h>

#define TVB_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

int tvb_cpu_has_avx512bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
}

// Round to nearest even, as PyTorch's and the kernels' float → bfloat16 conversion (NaN kept quiet).
uint16_t tvb_bf16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fff + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

float tvb_float_from_bf16(uint16_t bits) {
    uint32_t wide = (uint32_t)bits << 16;
    float value;
    memcpy(&value, &wide, 4);
    return value;
}

long tvb_bf16_panel_elements(long outputs, long inputs) {
    return (outputs + 15) / 16 * 16 * ((inputs + 1) / 2 * 2);
}

void tvb_bf16_pack(uint16_t *panels, const float *w, long outputs, long inputs) {
    long pairs = (inputs + 1) / 2, count = (outputs + 15) / 16;
    for (long p = 0; p < count; p++) {
        uint16_t *panel = panels + p * pairs * 32;
        for (long kp = 0; kp < pairs; kp++) {
            for (long c = 0; c < 16; c++) {
                long o = 16 * p + c;
                for (long j = 0; j < 2; j++) {
                    long k = 2 * kp + j;
                    panel[kp * 32 + 2 * c + j] = (o < outputs && k < inputs) ? tvb_bf16_from_float(w[o * inputs + k]) : 0;
                }
            }
        }
    }
}

TVB_BF16_TARGET void tvb_bf16_round_rows(uint16_t *xb, const float *x, long n, long inputs) {
    long padded = (inputs + 1) / 2 * 2;
    for (long r = 0; r < n; r++) {
        const float *src = x + r * inputs;
        uint16_t *dst = xb + r * padded;
        long k = 0;
        // vcvtne2ps2bf16 rounds to nearest even, as bf16_from_float does.
        for (; k + 32 <= inputs; k += 32) {
            __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k));
            _mm512_storeu_si512(dst + k, (__m512i)pair);
        }
        for (; k < inputs; k++) dst[k] = tvb_bf16_from_float(src[k]);
        if (padded != inputs) dst[inputs] = 0;
    }
}

// R rows of x by NB panels, over every input pair; writes y's R × (16 · NB) block (the last panel
// masked to `last_mask` columns).
static inline __attribute__((always_inline)) TVB_BF16_TARGET void
tile(float *y, long ldy, const uint16_t *xb, long pairs, const uint16_t *panels, int R, int NB, __mmask16 last_mask) {
    __m512 acc[6][4];
    for (int r = 0; r < R; r++)
        for (int b = 0; b < NB; b++) acc[r][b] = _mm512_setzero_ps();
    const int32_t *xr[6];
    for (int r = 0; r < R; r++) xr[r] = (const int32_t *)(xb + (long)r * 2 * pairs);
    for (long kp = 0; kp < pairs; kp++) {
        __m512bh wv[4];
        for (int b = 0; b < NB; b++) wv[b] = (__m512bh)_mm512_loadu_si512(panels + ((long)b * pairs + kp) * 32);
        for (int r = 0; r < R; r++) {
            __m512bh xv = (__m512bh)_mm512_set1_epi32(xr[r][kp]);
            for (int b = 0; b < NB; b++) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], xv, wv[b]);
        }
    }
    for (int r = 0; r < R; r++) {
        for (int b = 0; b < NB - 1; b++) _mm512_storeu_ps(y + r * ldy + 16 * b, acc[r][b]);
        _mm512_mask_storeu_ps(y + r * ldy + 16 * (NB - 1), last_mask, acc[r][NB - 1]);
    }
}

#define TVB_TILE_CASE(R, NB) \
    case (R) * 8 + (NB): tile(y, ldy, xb, pairs, panels, R, NB, mask); break;

static TVB_BF16_TARGET void tile_dispatch(float *y, long ldy, const uint16_t *xb, long pairs, const uint16_t *panels,
                                          int rows, int blocks, __mmask16 mask) {
    switch (rows * 8 + blocks) {
        TVB_TILE_CASE(1, 1) TVB_TILE_CASE(1, 2) TVB_TILE_CASE(1, 3) TVB_TILE_CASE(1, 4)
        TVB_TILE_CASE(2, 1) TVB_TILE_CASE(2, 2) TVB_TILE_CASE(2, 3) TVB_TILE_CASE(2, 4)
        TVB_TILE_CASE(3, 1) TVB_TILE_CASE(3, 2) TVB_TILE_CASE(3, 3) TVB_TILE_CASE(3, 4)
        TVB_TILE_CASE(4, 1) TVB_TILE_CASE(4, 2) TVB_TILE_CASE(4, 3) TVB_TILE_CASE(4, 4)
        TVB_TILE_CASE(5, 1) TVB_TILE_CASE(5, 2) TVB_TILE_CASE(5, 3) TVB_TILE_CASE(5, 4)
        TVB_TILE_CASE(6, 1) TVB_TILE_CASE(6, 2) TVB_TILE_CASE(6, 3) TVB_TILE_CASE(6, 4)
        default: break;
    }
}

TVB_BF16_TARGET void tvb_gemm_bf16(float *y, long ldy, const uint16_t *xb, long n, long inputs, const uint16_t *panels,
                                   long outputs, long o_begin, long o_end) {
    long pairs = (inputs + 1) / 2;
    // Chunks of 192 rows (their bfloat16 x, at most 192·I·2 bytes, stays in L2), then panels of
    // 64 outputs (64·I2·4 bytes, streamed from L2/L3 once per chunk), then tiles of 6 rows.
    for (long r0 = 0; r0 < n; r0 += 192) {
        long r1 = n - r0 < 192 ? n : r0 + 192;
        for (long o = o_begin; o < o_end; o += 64) {
            long width = o_end - o < 64 ? o_end - o : 64;
            int blocks = (int)((width + 15) / 16);
            long tail = width - 16 * (blocks - 1);
            __mmask16 mask = (__mmask16)(tail >= 16 ? 0xffff : ((1u << tail) - 1));
            const uint16_t *panel = panels + (o / 16) * pairs * 32;
            for (long r = r0; r < r1; r += 6) {
                int rows = (int)(r1 - r < 6 ? r1 - r : 6);
                tile_dispatch(y + r * ldy + o, ldy, xb + r * 2 * pairs, pairs, panel, rows, blocks, mask);
            }
        }
    }
    (void)outputs;
}

void tvb_gemm_bf16_naive(float *y, const float *x, const float *w, long n, long inputs, long outputs) {
    for (long r = 0; r < n; r++) {
        for (long o = 0; o < outputs; o++) {
            float sum = 0;
            for (long k = 0; k < inputs; k++) {
                sum += tvb_float_from_bf16(tvb_bf16_from_float(x[r * inputs + k])) *
                       tvb_float_from_bf16(tvb_bf16_from_float(w[o * inputs + k]));
            }
            y[r * outputs + o] = sum;
        }
    }
}
