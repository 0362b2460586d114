// Matrix–vector kernels over GGUF block-quantised weights (see ckernels.h). Shapes: n rows of
// activations x (n, I), weight (O, I) as O rows of blocks, y (n, O). Decode is memory bound:
// reading 4.5–8.5-bit blocks instead of float32 rows reads 4–7× fewer bytes per token.
//
// Each 32-element group of a weight row is decoded once into four vectors (quantblocks.h) and
// multiplied into every activation row; sums are float32 (FMA), so results equal the product
// with the dequantised float32 weights up to summation order.
#include "ckernels.h"
#include "quantblocks.h"
#include "matvec_common.h"

// One weight row o against n (1–8, constant) activation rows; A independent accumulators per
// activation row keep the FMA pipes busy when n is small.
QINLINE void matvecq_row(float *y, long ldy, const float *x, long ldx, const uint8_t *row, long inputs,
                         long o, const int n, const int type) {
    const int A = n == 1 ? 4 : (n == 2 ? 2 : 1);
    const long groups = inputs / 32, per_block = block_elements(type) / 32, bytes = block_bytes(type);
    __m256 acc[8][4];
    for (int j = 0; j < n; j++)
        for (int a = 0; a < A; a++) acc[j][a] = _mm256_setzero_ps();
    for (long g = 0; g < groups; g++) {
        __m256 v[4];
        decode_group(row + (g / per_block) * bytes, (int)(g % per_block), v, type);
        for (int j = 0; j < n; j++) {
            const float *xg = x + j * ldx + 32 * g;
            for (int s = 0; s < 4; s++) acc[j][s % A] = _mm256_fmadd_ps(v[s], _mm256_loadu_ps(xg + 8 * s), acc[j][s % A]);
        }
    }
    for (int j = 0; j < n; j++) {
        __m256 total = acc[j][0];
        for (int a = 1; a < A; a++) total = _mm256_add_ps(total, acc[j][a]);
        y[j * ldy + o] = tvb_horizontal_sum(total);
    }
}

QINLINE void matvecq_block(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                           long o_begin, long o_end, const int n, const int type) {
    const long row_bytes = inputs / block_elements(type) * block_bytes(type);
    for (long o = o_begin; o < o_end; o++) matvecq_row(y, ldy, x, ldx, w + o * row_bytes, inputs, o, n, type);
}

// rows (1–8) activation rows, instantiated per row count (and per block type, constant after inlining).
QINLINE void matvecq_rows(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                          long o_begin, long o_end, long rows, const int type) {
#define MATVECQ_R(R) matvecq_block(y, ldy, x, ldx, w, inputs, o_begin, o_end, R, type)
    TVB_ROWS_DISPATCH(rows, MATVECQ_R)
#undef MATVECQ_R
}

#define MATVECQ_TYPE(T) matvecq_rows(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, T)

void tvb_matvecq(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                 long o_begin, long o_end, long n, int type) {
    if (tvb_matvecq512_handles(type) && tvb_cpu_has_avx512_matvecq()) {
        tvb_matvecq512(y, ldy, x, ldx, w, inputs, o_begin, o_end, n, type);
        return;
    }
    tvb_matvecq_avx2(y, ldy, x, ldx, w, inputs, o_begin, o_end, n, type);
}

void tvb_matvecq_avx2(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                      long o_begin, long o_end, long n, int type) {
    for (long r0 = 0; r0 < n; r0 += 8) {
        const long rows = n - r0 < 8 ? n - r0 : 8;
        float *yb = y + r0 * ldy;
        const float *xb = x + r0 * ldx;
        TVB_QUANT_DISPATCH(type, MATVECQ_TYPE)
    }
}

void tvb_matvecq_naive(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                       long o_begin, long o_end, long n, int type) {
    const long elements = block_elements(type), bytes = block_bytes(type);
    if (elements == 0) return;
    const long blocks = inputs / elements;
    float decoded[256];
    for (long o = o_begin; o < o_end; o++) {
        for (long j = 0; j < n; j++) {
            float s = 0;
            for (long b = 0; b < blocks; b++) {
                tvb_dequantize_naive(decoded, w + (o * blocks + b) * bytes, elements, type);
                for (long e = 0; e < elements; e++) s += x[j * ldx + b * elements + e] * decoded[e];
            }
            y[j * ldy + o] = s;
        }
    }
}

// Each group of a weight row is decoded once and added, scaled by dy[r, o], into every row of dx.
QINLINE void matvecq_transposed_block(float *dx, long lddx, const float *dy, long lddy, const uint8_t *w,
                                      long inputs, long o_begin, long o_end, long n, const int type) {
    const long groups = inputs / 32, per_block = block_elements(type) / 32, bytes = block_bytes(type);
    const long row_bytes = inputs / block_elements(type) * bytes;
    for (long o = o_begin; o < o_end; o++) {
        const uint8_t *row = w + o * row_bytes;
        for (long g = 0; g < groups; g++) {
            __m256 v[4];
            decode_group(row + (g / per_block) * bytes, (int)(g % per_block), v, type);
            for (long j = 0; j < n; j++) {
                const __m256 scale = _mm256_set1_ps(dy[j * lddy + o]);
                float *d = dx + j * lddx + 32 * g;
                for (int s = 0; s < 4; s++)
                    _mm256_storeu_ps(d + 8 * s, _mm256_fmadd_ps(scale, v[s], _mm256_loadu_ps(d + 8 * s)));
            }
        }
    }
}

#define MATVECQ_TRANSPOSED(T) matvecq_transposed_block(dx, lddx, dy, lddy, w, inputs, o_begin, o_end, n, T)

void tvb_matvecq_transposed(float *dx, long lddx, const float *dy, long lddy, const uint8_t *w,
                            long inputs, long o_begin, long o_end, long n, int type) {
    TVB_QUANT_DISPATCH(type, MATVECQ_TRANSPOSED)
}
