// Matrix–vector kernels over GGUF block-quantised weights (see ckernels.h). Shapes: n rows of
// activations x (n, I), weight (O, I) as O rows of blocks, y (n, O); G = I / 32 groups of 32
// elements. Decode is memory bound: reading 4.5–8.5-bit blocks instead of float32 rows reads 4–7×
// fewer bytes per token.
//
// The AVX2 kernel does not dequantise: every element of group g of a weight row is a_h · L − c
// with L an integer level, a_h the scale of its half h (16 elements; the two are equal except in
// Q6_K) and c the group's offset (Q4_1's −m, Q4_K's and Q5_K's dmin · mn; 0 for the other
// types, whose bias is subtracted from L as an integer). So a group contributes
//     Σ_h a_h · Σ_{e in h} L_e x_e − c · S_g,    S_g = Σ_{e in g} x_e,
// with S computed once per call for all rows of w. Per 32 weights that is 4 conversions and 5
// FMAs instead of dequantising each element (~25 instructions): about 2× faster at one activation
// row on Zen 2. Sums are float32; results differ from the product with the dequantised weights
// by float32 rounding (relative ~1e-6), as a different summation order would.
//
// The transposed kernel (the backward product dx += dy · w, for a few rows) reads the weight rows
// in order and decodes each group once into a · L − c, added times dy[r, o] into every row of dx.
// Both decode levels with the same functions (MARK: Levels).
#include "ckernels.h"
#include "quantblocks.h"
#include "matvec_common.h"

// q5_fifth_offsets[v][i] = 0 if bit i of v is set, else −16: a Q5_0 level − 16 is its nibble plus
// the entry of its fifth bit.
#define Q5_ROW(v)                                                                                           \
    {((v)&1) ? 0 : -16,  ((v)&2) ? 0 : -16,  ((v)&4) ? 0 : -16,  ((v)&8) ? 0 : -16,                         \
     ((v)&16) ? 0 : -16, ((v)&32) ? 0 : -16, ((v)&64) ? 0 : -16, ((v)&128) ? 0 : -16}
#define Q5_4(v) Q5_ROW(v), Q5_ROW((v) + 1), Q5_ROW((v) + 2), Q5_ROW((v) + 3)
#define Q5_16(v) Q5_4(v), Q5_4((v) + 4), Q5_4((v) + 8), Q5_4((v) + 12)
#define Q5_64(v) Q5_16(v), Q5_16((v) + 16), Q5_16((v) + 32), Q5_16((v) + 48)
static const int32_t q5_fifth_offsets[256][8] __attribute__((aligned(32))) = {Q5_64(0), Q5_64(64), Q5_64(128), Q5_64(192)};

// MARK: Levels

// The 32-element formats (one group per block): the levels of the block at b as four vectors of
// 8 int32 (elements 0–7, …, 24–31), its scale a (both halves) and offset *c.
QINLINE void block32_levels(const uint8_t *b, __m256i L[4], float a[2], float *c, const int type) {
    const float d = half_at(b);
    a[0] = a[1] = d;
    *c = 0;
    if (type == TVB_Q8_0) {
        for (int k = 0; k < 4; k++) L[k] = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + 8 * k)));
        return;
    }
    // Q4_0, Q4_1, Q5_0: byte j holds element j (low nibble) and j + 16 (high nibble).
    const int at = type == TVB_Q4_0 ? 2 : (type == TVB_Q4_1 ? 4 : 6);
    const __m256i low4 = _mm256_set1_epi32(0x0F);
    const __m256i z0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + at)));
    const __m256i z1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + at + 8)));
    L[0] = _mm256_and_si256(z0, low4);
    L[1] = _mm256_and_si256(z1, low4);
    L[2] = _mm256_srli_epi32(z0, 4);
    L[3] = _mm256_srli_epi32(z1, 4);
    if (type == TVB_Q4_0)
        for (int k = 0; k < 4; k++) L[k] = _mm256_sub_epi32(L[k], _mm256_set1_epi32(8));
    if (type == TVB_Q4_1) *c = -half_at(b + 2);
    if (type == TVB_Q5_0) {
        // Byte k of qh holds the fifth bits of elements 8k … 8k + 7; a table lookup instead of
        // four vector operations per 8 elements (1.6× the kernel's speed at one row).
        const uint32_t qh = u32_at(b + 2);
        for (int k = 0; k < 4; k++)
            L[k] = _mm256_add_epi32(L[k], _mm256_load_si256((const __m256i *)q5_fifth_offsets[(qh >> (8 * k)) & 0xFF]));
    }
}

// Q6_K: ql bytes 32 apart, both low (s = 0) or both high (s = 2) nibbles; qh shifts 2s, 2s + 2;
// level − 32 as an integer.
QINLINE void q6k_pair_levels(const uint8_t *b, int first, __m256i L[2][4], float a[2][2], float c[2]) {
    const __m256i low4 = _mm256_set1_epi32(0x0F);
    const int h = first / 4, s0 = first % 4;
    const float d = half_at(b + 208);
    const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * s0;
    for (int p = 0; p < 2; p++) {
        a[p][0] = d * (float)sc[2 * p];
        a[p][1] = d * (float)sc[2 * p + 1];
        c[p] = 0;
    }
    const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    for (int k = 0; k < 4; k++) {
        const __m256i top = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qh + 8 * k)));
        for (int p = 0; p < 2; p++) {
            __m256i z = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ql + 32 * p + 8 * k)));
            z = s0 >= 2 ? _mm256_srli_epi32(z, 4) : _mm256_and_si256(z, low4);
            const __m256i t = _mm256_and_si256(_mm256_srl_epi32(top, _mm_cvtsi32_si128(2 * (s0 + p))), _mm256_set1_epi32(3));
            L[p][k] = _mm256_sub_epi32(_mm256_or_si256(z, _mm256_slli_epi32(t, 4)), _mm256_set1_epi32(32));
        }
    }
}

// Q4_K and Q5_K (fifth = 1): the low and high nibbles of the same 32 bytes, the scale and min of
// each group from the packed 6-bit pairs, Q5_K's fifth bits from qh.
QINLINE void q45k_pair_levels(const uint8_t *b, int first, __m256i L[2][4], float a[2][2], float c[2], const int fifth) {
    const __m256i low4 = _mm256_set1_epi32(0x0F);
    const float d = half_at(b), dmin = half_at(b + 2);
    for (int p = 0; p < 2; p++) {
        int sc, mn;
        scale_min_k4(first + p, b + 4, &sc, &mn);
        a[p][0] = a[p][1] = d * (float)sc;
        c[p] = dmin * (float)mn;
    }
    const uint8_t *qs = b + (fifth ? 48 : 16) + 32 * (first / 2);
    for (int k = 0; k < 4; k++) {
        const __m256i z = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8 * k)));
        L[0][k] = _mm256_and_si256(z, low4);
        L[1][k] = _mm256_srli_epi32(z, 4);
        if (fifth) {
            const __m256i h = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + 16 + 8 * k)));
            for (int p = 0; p < 2; p++) {
                const __m256i bit = _mm256_and_si256(_mm256_srl_epi32(h, _mm_cvtsi32_si128(first + p)), _mm256_set1_epi32(1));
                L[p][k] = _mm256_or_si256(L[p][k], _mm256_slli_epi32(bit, 4));
            }
        }
    }
}

// The K-quants: groups first and first + 1 (first even) of the super-block at b, levels L[p],
// scales a[p][h] (per half: Q6_K has a scale per 16 elements) and offsets c[p]. In Q4_K and Q5_K
// the two groups are the low and high nibbles of the same 32 bytes (and Q5_K's fifth bits, bits
// first and first + 1 of qh[e]); in Q6_K (slots s, s + 1 of half first / 4) they share their high
// bits. So those bytes are read and widened once (Q4_K's kernel 6.6 → 9.0 Gw/s at one row on Zen 2).
QINLINE void kquant_pair_levels(const uint8_t *b, int first, __m256i L[2][4], float a[2][2], float c[2], const int type) {
    if (type == TVB_Q6_K) {
        q6k_pair_levels(b, first, L, a, c);
    } else {
        q45k_pair_levels(b, first, L, a, c, type == TVB_Q5_K);
    }
}

// Groups g and g + 1 (g even) of a weight row: levels L[p], scales a[p], offsets c[p].
QINLINE void group_pair_levels(const uint8_t *row, long g, __m256i L[2][4], float a[2][2], float c[2], const int type) {
    const long bytes = block_bytes(type);
    if (block_elements(type) == 32) {
        block32_levels(row + g * bytes, L[0], a[0], &c[0], type);
        block32_levels(row + (g + 1) * bytes, L[1], a[1], &c[1], type);
    } else {
        kquant_pair_levels(row + (g / 8) * bytes, (int)(g % 8), L, a, c, type);
    }
}

// Group g alone (a range's first or last group): a K-quant group through its pair's decoder.
QINLINE void group_levels(const uint8_t *row, long g, __m256i L[4], float a[2], float *c, const int type) {
    if (block_elements(type) == 32) {
        block32_levels(row + g * block_bytes(type), L, a, c, type);
        return;
    }
    __m256i pair[2][4];
    float pair_a[2][2], pair_c[2];
    const int p = (int)(g & 1);
    kquant_pair_levels(row + (g / 8) * block_bytes(type), (int)(g % 8) - p, pair, pair_a, pair_c, type);
    for (int k = 0; k < 4; k++) L[k] = pair[p][k];
    a[0] = pair_a[p][0];
    a[1] = pair_a[p][1];
    *c = pair_c[p];
}

QINLINE int has_offset(const int type) { return type == TVB_Q4_1 || type == TVB_Q4_K || type == TVB_Q5_K; }

// MARK: Rows

// Group g (levels L, scales a, offset c) into the accumulators acc[j][k] (k a constant, so they
// stay in registers) of activation rows j < n, and its offset term into offsets (lane j: row j).
// group_sums[j] is S_g of activation row j.
QINLINE void matvecq_group(__m256 acc[8][2], __m256 *offsets, const int k, const float *x, long ldx, const float *group_sums,
                           long g, const __m256i L[4], const float a[2], float c, const int n, const int type) {
    __m256 v[4];
    for (int s = 0; s < 4; s++) v[s] = _mm256_cvtepi32_ps(L[s]);
    if (has_offset(type)) *offsets = _mm256_fmadd_ps(_mm256_set1_ps(c), _mm256_loadu_ps(group_sums), *offsets);
    for (int j = 0; j < n; j++) {
        const float *xg = x + j * ldx + 32 * g;
        if (type == TVB_Q6_K) {
            const __m256 t0 = _mm256_fmadd_ps(v[1], _mm256_loadu_ps(xg + 8), _mm256_mul_ps(v[0], _mm256_loadu_ps(xg)));
            const __m256 t1 = _mm256_fmadd_ps(v[3], _mm256_loadu_ps(xg + 24), _mm256_mul_ps(v[2], _mm256_loadu_ps(xg + 16)));
            acc[j][k] = _mm256_fmadd_ps(_mm256_set1_ps(a[1]), t1, _mm256_fmadd_ps(_mm256_set1_ps(a[0]), t0, acc[j][k]));
        } else {
            __m256 t = _mm256_mul_ps(v[0], _mm256_loadu_ps(xg));
            for (int s = 1; s < 4; s++) t = _mm256_fmadd_ps(v[s], _mm256_loadu_ps(xg + 8 * s), t);
            acc[j][k] = _mm256_fmadd_ps(_mm256_set1_ps(a[0]), t, acc[j][k]);
        }
    }
}

// Groups [g_begin, g_end) (g_begin even) of weight row o against n (1–8, constant) activation
// rows; y is written (accumulate = 0) or added to. sums[8 (g − g_begin) + j] is S_g of activation row j.
QINLINE void matvecq_row(float *y, long ldy, const float *x, long ldx, const float *sums, const uint8_t *row,
                         long g_begin, long g_end, long o, int accumulate, const int n, const int type) {
    // With one or two rows, even and odd groups take separate accumulators (two FMA chains).
    const int odd = n <= 2 ? 1 : 0;
    __m256 acc[8][2], offsets = _mm256_setzero_ps();
    for (int j = 0; j < n; j++) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    long g = g_begin;
    for (; g + 1 < g_end; g += 2) {
        const float *at = sums + 8 * (g - g_begin);
        __m256i L[2][4];
        float a[2][2], c[2];
        group_pair_levels(row, g, L, a, c, type);
        matvecq_group(acc, &offsets, 0, x, ldx, at, g, L[0], a[0], c[0], n, type);
        matvecq_group(acc, &offsets, odd, x, ldx, at + 8, g + 1, L[1], a[1], c[1], n, type);
    }
    if (g < g_end) {
        __m256i L[4];
        float a[2], c;
        group_levels(row, g, L, a, &c, type);
        matvecq_group(acc, &offsets, 0, x, ldx, sums + 8 * (g - g_begin), g, L, a, c, n, type);
    }
    float offset[8];
    _mm256_storeu_ps(offset, offsets);
    for (int j = 0; j < n; j++) {
        const float value = tvb_horizontal_sum(_mm256_add_ps(acc[j][0], acc[j][1])) - offset[j];
        y[j * ldy + o] = accumulate ? y[j * ldy + o] + value : value;
    }
}

// rows (1–8) activation rows, instantiated per row count (and per block type, constant after inlining).
QINLINE void matvecq_rows(float *y, long ldy, const float *x, long ldx, const float *sums, const uint8_t *w, long inputs,
                          long g_begin, long g_end, int accumulate, long o_begin, long o_end, long rows, const int type) {
    const long row_bytes = inputs / block_elements(type) * block_bytes(type);
#define MATVECQ_R(R)                               \
    for (long o = o_begin; o < o_end; o++)         \
        matvecq_row(y, ldy, x, ldx, sums, w + o * row_bytes, g_begin, g_end, o, accumulate, R, type)
    TVB_ROWS_DISPATCH(rows, MATVECQ_R)
#undef MATVECQ_R
}

void tvb_matvecq(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                 long o_begin, long o_end, long n, int type) {
    if (tvb_matvecq512_handles(type) && tvb_cpu_has_avx512_matvecq()) {
        tvb_matvecq512(y, ldy, x, ldx, w, inputs, o_begin, o_end, n, type);
        return;
    }
    tvb_matvecq_avx2(y, ldy, x, ldx, w, inputs, o_begin, o_end, n, type);
}

// Groups per pass: the group sums of 8 activation rows stay on the stack (16 KiB); longer rows
// are taken in passes that add to y. A whole K-quant block per pass (a multiple of 8).
#define MATVECQ_PASS_GROUPS 512

void tvb_matvecq_avx2(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                      long o_begin, long o_end, long n, int type) {
    if (block_elements(type) == 0) return;
    const long groups = inputs / 32;
    float sums[8 * MATVECQ_PASS_GROUPS];
    for (long r0 = 0; r0 < n; r0 += 8) {
        const long rows = n - r0 < 8 ? n - r0 : 8;
        float *yb = y + r0 * ldy;
        const float *xb = x + r0 * ldx;
        for (long g0 = 0; g0 < groups; g0 += MATVECQ_PASS_GROUPS) {
            const long g1 = groups - g0 < MATVECQ_PASS_GROUPS ? groups : g0 + MATVECQ_PASS_GROUPS;
            // sums[8 (g − g0) + j] = S_g of row j (0 past the last row).
            for (long g = g0; g < g1; g++)
                for (long j = 0; j < 8; j++) {
                    const float *xg = xb + j * ldx + 32 * g;
                    sums[8 * (g - g0) + j] = j < rows ? tvb_horizontal_sum(_mm256_add_ps(
                                                            _mm256_add_ps(_mm256_loadu_ps(xg), _mm256_loadu_ps(xg + 8)),
                                                            _mm256_add_ps(_mm256_loadu_ps(xg + 16), _mm256_loadu_ps(xg + 24))))
                                                      : 0;
                }
#define MATVECQ_TYPE(T) matvecq_rows(yb, ldy, xb, ldx, sums, w, inputs, g0, g1, g0 > 0, o_begin, o_end, rows, T)
            TVB_QUANT_DISPATCH(type, MATVECQ_TYPE)
#undef MATVECQ_TYPE
        }
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

// MARK: Transposed (the backward product)

// One decoded group (levels L, scales a, offset c) of weight row o as the weights a·L − c, added
// times dy[r, o] (dyo[r · lddy]) into the group's 32 columns of every row r of dx (dxg: column 0).
QINLINE void transposed_add(float *dxg, long lddx, const float *dyo, long lddy, const __m256i L[4], const float a[2], float c,
                            long n, const int type) {
    __m256 u[4];
    for (int k = 0; k < 4; k++) {
        const __m256 level = _mm256_cvtepi32_ps(L[k]), scale = _mm256_set1_ps(a[k / 2]);
        u[k] = has_offset(type) ? _mm256_fmsub_ps(level, scale, _mm256_set1_ps(c)) : _mm256_mul_ps(level, scale);
    }
    for (long r = 0; r < n; r++) {
        const __m256 d = _mm256_set1_ps(dyo[r * lddy]);
        float *x = dxg + r * lddx;
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(x + 8 * k, _mm256_fmadd_ps(d, u[k], _mm256_loadu_ps(x + 8 * k)));
    }
}

QINLINE void transposed_group(float *dx, long lddx, const float *dyo, long lddy, const uint8_t *row, long g, long n, const int type) {
    __m256i L[4];
    float a[2], c;
    group_levels(row, g, L, a, &c, type);
    transposed_add(dx + 32 * g, lddx, dyo, lddy, L, a, c, n, type);
}

// Weight rows in order, each row's column groups [g_begin, g_end) decoded once (in pairs, as the
// forward kernel does) into the weights a·L − c and added, times dy[r, o], into the group's
// columns of every row r of dx (which stay in L1). Reading the blocks in order keeps the speed on
// tall matrices (the output projections), where taking one column group at a time down all rows
// fetched every cache line once per group.
QINLINE void matvecq_transposed_groups(float *dx, long lddx, const float *dy, long lddy, const uint8_t *w, long inputs,
                                       long outputs, long g_begin, long g_end, long n, const int type) {
    const long row_bytes = inputs / block_elements(type) * block_bytes(type);
    for (long o = 0; o < outputs; o++) {
        const uint8_t *row = w + o * row_bytes;
        const float *dyo = dy + o;
        long g = g_begin;
        if (g < g_end && (g & 1)) {  // a range that starts at an odd group (threads split anywhere)
            transposed_group(dx, lddx, dyo, lddy, row, g, n, type);
            g++;
        }
        for (; g + 1 < g_end; g += 2) {
            __m256i L[2][4];
            float a[2][2], c[2];
            group_pair_levels(row, g, L, a, c, type);
            transposed_add(dx + 32 * g, lddx, dyo, lddy, L[0], a[0], c[0], n, type);
            transposed_add(dx + 32 * (g + 1), lddx, dyo, lddy, L[1], a[1], c[1], n, type);
        }
        if (g < g_end) transposed_group(dx, lddx, dyo, lddy, row, g, n, type);
    }
}

#define MATVECQ_TRANSPOSED(T) matvecq_transposed_groups(dx, lddx, dy, lddy, w, inputs, outputs, g_begin, g_end, n, T)

void tvb_matvecq_transposed(float *dx, long lddx, const float *dy, long lddy, const uint8_t *w, long inputs,
                            long outputs, long g_begin, long g_end, long n, int type) {
    TVB_QUANT_DISPATCH(type, MATVECQ_TRANSPOSED)
}
