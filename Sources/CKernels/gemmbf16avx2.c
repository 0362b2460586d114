// y (N, O) = x (N, I) · wᵀ with bfloat16 operands and float32 sums on AVX2 + FMA: the same panels
// as gemmbf16.c and the same arithmetic as vdpbf16ps, for CPUs without AVX512_BF16.
// Shapes: N rows, I inputs, O outputs; I2 = ceil(I / 2) input pairs, O16 = ceil(O / 16) panels.
//
// vdpbf16ps adds, per output lane, first the odd element's product and then the even one's to its
// float32 accumulator (Intel SDM, VDPBF16PS). A product of two bfloat16 values is exact in
// float32, so each step is one fused multiply-add: this kernel makes the same two FMAs per input
// pair in the same order, over the input pairs in order, and so gives the AVX-512 kernel's sums
// except where that one flushes denormals. It reads half the bytes of float32 weights but does no
// less arithmetic: on AVX2 bfloat16 is about numerics, not speed.
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// One panel (16 outputs) for R ≤ 5 rows, over every input pair: 10 accumulators, 4 weight and 2
// broadcast registers, all 16. A 32-bit lane of a panel holds one output's pair: the even element
// in its low half, the odd in its high half. `xs` holds each row's pairs widened to float32, (odd,
// even) per pair, so the loop broadcasts them from memory.
static inline __attribute__((always_inline)) void
panel_tile(float out[5][16], const float *xs, long pairs, const uint16_t *panel, int R) {
    __m256 acc[5][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
    for (long kp = 0; kp < pairs; kp++) {
        __m256i lanes0 = _mm256_loadu_si256((const __m256i *)(panel + kp * 32));
        __m256i lanes1 = _mm256_loadu_si256((const __m256i *)(panel + kp * 32 + 16));
        __m256 even0 = _mm256_castsi256_ps(_mm256_slli_epi32(lanes0, 16)), odd0 = _mm256_castsi256_ps(_mm256_and_si256(lanes0, high));
        __m256 even1 = _mm256_castsi256_ps(_mm256_slli_epi32(lanes1, 16)), odd1 = _mm256_castsi256_ps(_mm256_and_si256(lanes1, high));
        for (int r = 0; r < R; r++) {
            const float *x = xs + ((long)r * pairs + kp) * 2;
            __m256 vo = _mm256_broadcast_ss(x), ve = _mm256_broadcast_ss(x + 1);
            acc[r][0] = _mm256_fmadd_ps(even0, ve, _mm256_fmadd_ps(odd0, vo, acc[r][0]));
            acc[r][1] = _mm256_fmadd_ps(even1, ve, _mm256_fmadd_ps(odd1, vo, acc[r][1]));
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(out[r], acc[r][0]);
        _mm256_storeu_ps(out[r] + 8, acc[r][1]);
    }
}

// Rows of at most this many go through one widening of x and one pass over the panels.
#define TVB_BF16_AVX2_CHUNK 60

void tvb_gemm_bf16_avx2(float *y, long ldy, const uint16_t *xb, long n, long inputs, const uint16_t *panels,
                        long outputs, long o_begin, long o_end) {
    long pairs = (inputs + 1) / 2;
    float *xs = malloc(sizeof(float) * 2 * pairs * (n < TVB_BF16_AVX2_CHUNK ? n : TVB_BF16_AVX2_CHUNK));
    if (!xs) abort();
    for (long r0 = 0; r0 < n; r0 += TVB_BF16_AVX2_CHUNK) {
        long r1 = n - r0 < TVB_BF16_AVX2_CHUNK ? n : r0 + TVB_BF16_AVX2_CHUNK;
        for (long r = r0; r < r1; r++) {
            for (long kp = 0; kp < pairs; kp++) {
                const uint16_t *pair = xb + r * 2 * pairs + 2 * kp;
                xs[((r - r0) * pairs + kp) * 2] = tvb_float_from_bf16(pair[1]);
                xs[((r - r0) * pairs + kp) * 2 + 1] = tvb_float_from_bf16(pair[0]);
            }
        }
        for (long o = o_begin; o < o_end; o += 16) {
            long width = o_end - o < 16 ? o_end - o : 16;
            const uint16_t *panel = panels + (o / 16) * pairs * 32;
            for (long r = r0; r < r1; r += 5) {
                int rows = (int)(r1 - r < 5 ? r1 - r : 5);
                const float *x = xs + (r - r0) * 2 * pairs;
                float out[5][16];
                switch (rows) {
                case 5: panel_tile(out, x, pairs, panel, 5); break;
                case 4: panel_tile(out, x, pairs, panel, 4); break;
                case 3: panel_tile(out, x, pairs, panel, 3); break;
                case 2: panel_tile(out, x, pairs, panel, 2); break;
                default: panel_tile(out, x, pairs, panel, 1); break;
                }
                for (int t = 0; t < rows; t++) memcpy(y + (r + t) * ldy + o, out[t], (size_t)width * sizeof(float));
            }
        }
    }
    free(xs);
    (void)outputs;
}

void tvb_bf16_round_rows_scalar(uint16_t *xb, const float *x, long n, long inputs) {
    long padded = (inputs + 1) / 2 * 2;
    for (long r = 0; r < n; r++) {
        for (long k = 0; k < inputs; k++) xb[r * padded + k] = tvb_bf16_from_float(x[r * inputs + k]);
        if (padded != inputs) xb[r * padded + inputs] = 0;
    }
}

void tvb_gemm_bf16_pairs_naive(float *y, const float *x, const float *w, long n, long inputs, long outputs) {
    long pairs = (inputs + 1) / 2;
    for (long r = 0; r < n; r++) {
        for (long o = 0; o < outputs; o++) {
            float sum = 0;
            for (long kp = 0; kp < pairs; kp++) {
                long even = 2 * kp, odd = 2 * kp + 1;
                float xo = odd < inputs ? tvb_float_from_bf16(tvb_bf16_from_float(x[r * inputs + odd])) : 0;
                float wo = odd < inputs ? tvb_float_from_bf16(tvb_bf16_from_float(w[o * inputs + odd])) : 0;
                sum = fmaf(wo, xo, sum);
                sum = fmaf(tvb_float_from_bf16(tvb_bf16_from_float(w[o * inputs + even])),
                           tvb_float_from_bf16(tvb_bf16_from_float(x[r * inputs + even])), sum);
            }
            y[r * outputs + o] = sum;
        }
    }
}
