// Matrix–vector kernels over 16-bit weights (see ckernels.h). Decode multiplies a handful of rows
// by every weight matrix, which is memory bound: reading bf16/f16 instead of f32 halves the bytes.
#include "ckernels.h"
#include "matvec_common.h"
#include <immintrin.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

INLINE __m256 load8(const uint16_t *p, const int kind) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    if (kind == TVB_KIND_BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    return _mm256_cvtph_ps(h);
}

INLINE float load1(const uint16_t *p, const int kind) {
    if (kind == TVB_KIND_BF16) {
        uint32_t bits = (uint32_t)*p << 16;
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    return _cvtsh_ss(*p);
}

// R weight rows against n activation rows at once: R·n accumulators stay in registers (n and R
// are compile-time constants after inlining), each weight vector is converted once and used n times.
INLINE void matvec_rows(float *y, long ldy, const float *x, long ldx, const uint16_t *w, long inputs,
                        long o, const int n, const int R, const int kind) {
    const long k8 = inputs & ~7L;
    __m256 acc[8][8];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < n; j++) acc[r][j] = _mm256_setzero_ps();
    for (long k = 0; k < k8; k += 8) {
        __m256 xv[8];
        for (int j = 0; j < n; j++) xv[j] = _mm256_loadu_ps(x + j * ldx + k);
        for (int r = 0; r < R; r++) {
            __m256 wv = load8(w + (o + r) * inputs + k, kind);
            for (int j = 0; j < n; j++) acc[r][j] = _mm256_fmadd_ps(wv, xv[j], acc[r][j]);
        }
    }
    for (int r = 0; r < R; r++) {
        const uint16_t *row = w + (o + r) * inputs;
        for (int j = 0; j < n; j++) {
            float s = tvb_horizontal_sum(acc[r][j]);
            for (long k = k8; k < inputs; k++) s += load1(row + k, kind) * x[j * ldx + k];
            y[j * ldy + o + r] = s;
        }
    }
}

INLINE void matvec_block(float *y, long ldy, const float *x, long ldx, const uint16_t *w, long inputs,
                         long o_begin, long o_end, const int n, const int kind) {
    // Rows per step: enough independent FMA chains for one activation row, fewer as n grows.
    const int R = n == 1 ? 8 : (n == 2 ? 4 : (n <= 4 ? 2 : 1));
    long o = o_begin;
    for (; o + R <= o_end; o += R) matvec_rows(y, ldy, x, ldx, w, inputs, o, n, R, kind);
    for (; o < o_end; o++) matvec_rows(y, ldy, x, ldx, w, inputs, o, n, 1, kind);
}

#define MATVEC_BF16(R) matvec_block(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, R, TVB_KIND_BF16)
#define MATVEC_F16(R) matvec_block(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, R, TVB_KIND_F16)

void tvb_matvec16(float *y, long ldy, const float *x, long ldx, const uint16_t *w, long inputs,
                  long o_begin, long o_end, long n, int kind) {
    for (long r0 = 0; r0 < n; r0 += 8) {
        const long rows = n - r0 < 8 ? n - r0 : 8;
        float *yb = y + r0 * ldy;
        const float *xb = x + r0 * ldx;
        if (kind == TVB_KIND_BF16) { TVB_ROWS_DISPATCH(rows, MATVEC_BF16) } else { TVB_ROWS_DISPATCH(rows, MATVEC_F16) }
    }
}

INLINE void matvec_transposed_block(float *dx, long lddx, const float *dy, long lddy, const uint16_t *w,
                                    long inputs, long o_begin, long o_end, long n, const int kind) {
    const long k8 = inputs & ~7L;
    for (long o = o_begin; o < o_end; o++) {
        const uint16_t *row = w + o * inputs;
        for (long k = 0; k < k8; k += 8) {
            __m256 wv = load8(row + k, kind);
            for (long j = 0; j < n; j++) {
                float *d = dx + j * lddx + k;
                _mm256_storeu_ps(d, _mm256_fmadd_ps(_mm256_set1_ps(dy[j * lddy + o]), wv, _mm256_loadu_ps(d)));
            }
        }
        for (long k = k8; k < inputs; k++) {
            float wk = load1(row + k, kind);
            for (long j = 0; j < n; j++) dx[j * lddx + k] += dy[j * lddy + o] * wk;
        }
    }
}

void tvb_matvec16_transposed(float *dx, long lddx, const float *dy, long lddy, const uint16_t *w,
                             long inputs, long o_begin, long o_end, long n, int kind) {
    if (kind == TVB_KIND_BF16) matvec_transposed_block(dx, lddx, dy, lddy, w, inputs, o_begin, o_end, n, TVB_KIND_BF16);
    else matvec_transposed_block(dx, lddx, dy, lddy, w, inputs, o_begin, o_end, n, TVB_KIND_F16);
}

INLINE void convert_block(float *dst, const uint16_t *src, long count, const int kind) {
    const long c8 = count & ~7L;
    for (long i = 0; i < c8; i += 8) _mm256_storeu_ps(dst + i, load8(src + i, kind));
    for (long i = c8; i < count; i++) dst[i] = load1(src + i, kind);
}

void tvb_convert16(float *dst, const uint16_t *src, long count, int kind) {
    if (kind == TVB_KIND_BF16) convert_block(dst, src, count, TVB_KIND_BF16);
    else convert_block(dst, src, count, TVB_KIND_F16);
}

int tvb_cpu_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
