// AVX-512 form of the block matrix–vector kernel (matvecq.c) for Q4_0, Q4_1, Q5_0, Q8_0, Q4_K
// and Q6_K (Q5_K stays on AVX2). Shapes as there: x (n, I), weight (O, I) in blocks, y (n, O).
//
// Why: converting every level to a float costs an instruction per 8 weights even where the scale
// is factored out of the group (the AVX2 kernel, matvecq.c). A 4-bit level has only 16 values, and within a group of 32
// elements all share one scale and offset, so the 16 possible weights are computed once per
// group into one 512-bit register (`table[k] = k · d + m`, the same float operations as
// quantblocks.h, so the same bits) and each weight is a `vpermps` lookup by its level. Sums are
// float32 FMAs as before: results equal the dequantised product up to summation order. Q5_0's
// 32 levels take two tables; Q8_0 and Q6_K take none (16 levels converted per instruction
// instead of 8).
#include "ckernels.h"
#include "quantblocks.h"
#include "matvec_common.h"

#define Q512_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
#define Q512_INLINE static inline __attribute__((always_inline)) Q512_TARGET

int tvb_cpu_has_avx512_matvecq(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

int tvb_matvecq512_handles(int type) {
    return type == TVB_Q4_0 || type == TVB_Q4_1 || type == TVB_Q5_0 || type == TVB_Q8_0 || type == TVB_Q4_K ||
           type == TVB_Q6_K;
}

// The 16 weights of levels 0–15 with scale d and offset m, computed as quantblocks.h does:
// Q4_0 float(k − 8) · d, Q4_1 float(k) · d + m, Q4_K float(k) · d1 − m1 (products and sums unfused).
Q512_INLINE __m512 level_table(const uint8_t *b, int g, const int type) {
    const __m512 k = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    switch (type) {
    case TVB_Q4_0:
        return _mm512_mul_ps(_mm512_sub_ps(k, _mm512_set1_ps(8)), _mm512_set1_ps(half_at(b)));
    case TVB_Q4_1:
        return _mm512_add_ps(_mm512_mul_ps(k, _mm512_set1_ps(half_at(b))), _mm512_set1_ps(half_at(b + 2)));
    default: {  // Q4_K
        int sc, mn;
        scale_min_k4(g, b + 4, &sc, &mn);
        const float d1 = half_at(b) * (float)sc, m1 = half_at(b + 2) * (float)mn;
        return _mm512_sub_ps(_mm512_mul_ps(k, _mm512_set1_ps(d1)), _mm512_set1_ps(m1));
    }
    }
}

// Group g of the block at b: elements 0–15 in v[0], 16–31 in v[1].
Q512_INLINE void group16(const uint8_t *b, int g, __m512 v[2], const int type) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    if (type == TVB_Q8_0) {
        // No table: 32 int8 levels, converted and scaled as group_q8_0 does.
        const __m512 d = _mm512_set1_ps(half_at(b));
        v[0] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 2)))), d);
        v[1] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 18)))), d);
        return;
    }
    if (type == TVB_Q6_K) {
        // No table (64 levels, a scale per 16 elements): the levels of group g assembled as bytes
        // as group_q6_k does (low 4 bits from ql, high 2 from qh), then 16 widened per instruction.
        const int h = g / 4, s = g % 4;
        const float d = half_at(b + 208);
        const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * s;
        __m256i low = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32 * (s & 1)));
        if (s >= 2) low = _mm256_srli_epi16(low, 4);
        low = _mm256_and_si256(low, _mm256_set1_epi8(0x0F));
        __m256i high = _mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)), _mm_cvtsi32_si128(2 * s));
        high = _mm256_slli_epi16(_mm256_and_si256(high, _mm256_set1_epi8(3)), 4);
        const __m256i levels = _mm256_or_si256(low, high);
        const __m512i offset = _mm512_set1_epi32(32);
        const __m512i first = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(levels)), offset);
        const __m512i second = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm256_extracti128_si256(levels, 1)), offset);
        v[0] = _mm512_mul_ps(_mm512_cvtepi32_ps(first), _mm512_set1_ps(d * (float)sc[0]));
        v[1] = _mm512_mul_ps(_mm512_cvtepi32_ps(second), _mm512_set1_ps(d * (float)sc[1]));
        return;
    }
    if (type == TVB_Q5_0) {
        // Levels 0–31 (bit e of qh is element e's fifth bit): two tables, float(k − 16) · d for
        // k < 16 and float(k) · d for the levels 16–31, picked by bit 4 of the index.
        const __m512 k = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512 d = _mm512_set1_ps(half_at(b));
        const __m512 low = _mm512_mul_ps(_mm512_sub_ps(k, _mm512_set1_ps(16)), d), high = _mm512_mul_ps(k, d);
        const uint32_t qh = u32_at(b + 2);
        const __m128i bytes = _mm_loadu_si128((const __m128i *)(b + 6));
        const __m512i sixteen = _mm512_set1_epi32(16);
        __m512i first = _mm512_cvtepu8_epi32(_mm_and_si128(bytes, mask));
        __m512i second = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask));
        first = _mm512_mask_or_epi32(first, (__mmask16)(qh & 0xFFFF), first, sixteen);
        second = _mm512_mask_or_epi32(second, (__mmask16)(qh >> 16), second, sixteen);
        v[0] = _mm512_permutex2var_ps(low, first, high);
        v[1] = _mm512_permutex2var_ps(low, second, high);
        return;
    }
    const __m512 table = level_table(b, g, type);
    __m128i first, second;
    if (type == TVB_Q4_K) {
        // 32 bytes hold the group's levels in order, in their low (g even) or high (g odd) nibbles.
        const uint8_t *qs = b + 16 + 32 * (g / 2);
        __m128i a = _mm_loadu_si128((const __m128i *)qs), c = _mm_loadu_si128((const __m128i *)(qs + 16));
        if (g & 1) {
            a = _mm_srli_epi16(a, 4);
            c = _mm_srli_epi16(c, 4);
        }
        first = _mm_and_si128(a, mask);
        second = _mm_and_si128(c, mask);
    } else {
        // Byte j holds element j (low nibble) and j + 16 (high nibble).
        const __m128i bytes = _mm_loadu_si128((const __m128i *)(b + (type == TVB_Q4_0 ? 2 : 4)));
        first = _mm_and_si128(bytes, mask);
        second = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
    }
    v[0] = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(first), table);
    v[1] = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(second), table);
}

// One weight row o against n (1–8, constant) activation rows. With one row, four accumulators
// (halves of even and odd groups) keep four FMA chains in flight.
Q512_INLINE void row512(float *y, long ldy, const float *x, long ldx, const uint8_t *row, long inputs, long o,
                        const int n, const int type) {
    const long groups = inputs / 32, per_block = block_elements(type) / 32, bytes = block_bytes(type);
    __m512 acc[8][4];
    for (int j = 0; j < n; j++)
        for (int a = 0; a < 4; a++) acc[j][a] = _mm512_setzero_ps();
    long g = 0;
    // Two groups per pass with one row; the accumulators' indices must be constants, or the
    // compiler keeps them in memory.
    if (n == 1) {
        for (; g + 1 < groups; g += 2) {
            __m512 v[2], u[2];
            group16(row + (g / per_block) * bytes, (int)(g % per_block), v, type);
            group16(row + ((g + 1) / per_block) * bytes, (int)((g + 1) % per_block), u, type);
            const float *xg = x + 32 * g;
            acc[0][0] = _mm512_fmadd_ps(v[0], _mm512_loadu_ps(xg), acc[0][0]);
            acc[0][1] = _mm512_fmadd_ps(v[1], _mm512_loadu_ps(xg + 16), acc[0][1]);
            acc[0][2] = _mm512_fmadd_ps(u[0], _mm512_loadu_ps(xg + 32), acc[0][2]);
            acc[0][3] = _mm512_fmadd_ps(u[1], _mm512_loadu_ps(xg + 48), acc[0][3]);
        }
    }
    for (; g < groups; g++) {
        __m512 v[2];
        group16(row + (g / per_block) * bytes, (int)(g % per_block), v, type);
        for (int j = 0; j < n; j++) {
            const float *xg = x + j * ldx + 32 * g;
            acc[j][0] = _mm512_fmadd_ps(v[0], _mm512_loadu_ps(xg), acc[j][0]);
            acc[j][1] = _mm512_fmadd_ps(v[1], _mm512_loadu_ps(xg + 16), acc[j][1]);
        }
    }
    for (int j = 0; j < n; j++) {
        __m512 total = _mm512_add_ps(_mm512_add_ps(acc[j][0], acc[j][1]), _mm512_add_ps(acc[j][2], acc[j][3]));
        y[j * ldy + o] = _mm512_reduce_add_ps(total);
    }
}

Q512_INLINE void rows512(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs, long o_begin,
                         long o_end, long rows, const int type) {
    const long row_bytes = inputs / block_elements(type) * block_bytes(type);
#define ROW512(R) \
    for (long o = o_begin; o < o_end; o++) row512(y, ldy, x, ldx, w + o * row_bytes, inputs, o, R, type)
    TVB_ROWS_DISPATCH(rows, ROW512)
#undef ROW512
}

Q512_TARGET void tvb_matvecq512(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                                long o_begin, long o_end, long n, int type) {
    for (long r0 = 0; r0 < n; r0 += 8) {
        const long rows = n - r0 < 8 ? n - r0 : 8;
        float *yb = y + r0 * ldy;
        const float *xb = x + r0 * ldx;
        switch (type) {
        case TVB_Q4_0: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q4_0); break;
        case TVB_Q4_1: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q4_1); break;
        case TVB_Q5_0: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q5_0); break;
        case TVB_Q8_0: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q8_0); break;
        case TVB_Q4_K: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q4_K); break;
        case TVB_Q6_K: rows512(yb, ldy, xb, ldx, w, inputs, o_begin, o_end, rows, TVB_Q6_K); break;
        default: break;
        }
    }
}
