#ifndef TVB_MATVEC_COMMON_H
#define TVB_MATVEC_COMMON_H
// Internal to CKernels: what the matrix–vector kernels (matvec16.c, matvecq.c) share. They are
// compiled once per activation-row count, so their accumulators stay in registers. TVB_ROWS_DISPATCH(rows, CALL) runs CALL(R) with R = rows
// (1–7) or 8 (rows ≥ 8) as a compile-time constant.
#define TVB_ROWS_DISPATCH(rows, CALL) \
    switch (rows) {                   \
    case 1: CALL(1); break;           \
    case 2: CALL(2); break;           \
    case 3: CALL(3); break;           \
    case 4: CALL(4); break;           \
    case 5: CALL(5); break;           \
    case 6: CALL(6); break;           \
    case 7: CALL(7); break;           \
    default: CALL(8); break;          \
    }

#include <immintrin.h>

// The sum of the 8 lanes of v.
static inline __attribute__((always_inline)) float tvb_horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
