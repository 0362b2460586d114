// Matrix–vector products of GGUF block weights with activations rounded to int8 (llama.cpp's
// q8 dot products), through AVX512_VNNI's vpdpbusd. Shapes: n rows of activations x (n, I),
// weight (O, I) as O rows of blocks, y (n, O); G = I / 32 groups of 32 elements, I / 16 halves.
//
// Why: the float path (matvecq.c) widens every 4-bit level to a float and spends ~25 instructions
// per 32 weights; here 32 levels stay bytes and one vpdpbusd multiplies them by 32 int8
// activations, so decode reads the weights at close to memory speed.
//
// Numerics. Each 32-element group of an activation row is rounded to int8 with its own scale,
// x ≈ s · q with s = max|x| / 127 and q = round-to-nearest-even(x / s) (llama.cpp's Q8_0). Every
// weight element of half h (16 elements) of a group is written as a_h · L − b_h with L an unsigned
// integer level (table below), so a group contributes exactly
//     s · Σ_h (a_h · Σ_{e in h} L_e q_e − b_h · Σ_{e in h} q_e)
// with the integer sums exact; only the rounding of x to q differs from the float path. Sums
// across groups are float32. The naive kernel evaluates the same formula with scalar code.
//
//   type  L (unsigned level)          a_h          b_h
//   Q4_0  nibble                      d            8 d
//   Q4_1  nibble                      d            −m
//   Q5_0  nibble | fifth bit << 4     d            16 d
//   Q8_0  int8 level + 128            d            128 d
//   Q4_K  nibble (sub-block g)        d · sc_g     dmin · mn_g
//   Q5_K  as Q4_K with fifth bit      d · sc_g     dmin · mn_g
//   Q6_K  6-bit level                 d · sc_h     32 d · sc_h   (sc per 16 elements)
#include "ckernels.h"
#include "quantblocks.h"
#include "matvec_common.h"
#include <math.h>

#define Q8_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

int tvb_cpu_has_avx512vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

// MARK: Activations

void tvb_quantize_rows_q8_naive(int8_t *q, float *scale, float *half_sums, const float *x, long ldx,
                                long n, long inputs) {
    const long groups = inputs / 32;
    for (long r = 0; r < n; r++) {
        for (long g = 0; g < groups; g++) {
            const float *xg = x + r * ldx + 32 * g;
            int8_t *qg = q + r * inputs + 32 * g;
            float amax = 0;
            for (int e = 0; e < 32; e++) amax = fmaxf(amax, fabsf(xg[e]));
            const float s = amax / 127.0f, inverse = amax > 0 ? 127.0f / amax : 0.0f;
            int sums[2] = {0, 0};
            for (int e = 0; e < 32; e++) {
                qg[e] = (int8_t)nearbyintf(xg[e] * inverse);
                sums[e / 16] += qg[e];
            }
            scale[r * groups + g] = s;
            half_sums[r * 2 * groups + 2 * g] = s * (float)sums[0];
            half_sums[r * 2 * groups + 2 * g + 1] = s * (float)sums[1];
        }
    }
}

Q8_TARGET void tvb_quantize_rows_q8(int8_t *q, float *scale, float *half_sums, const float *x, long ldx,
                                    long n, long inputs) {
    const long groups = inputs / 32;
    for (long r = 0; r < n; r++) {
        for (long g = 0; g < groups; g++) {
            const float *xg = x + r * ldx + 32 * g;
            const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);
            const __m512 a = _mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1));
            const float amax = _mm512_reduce_max_ps(a);
            const float s = amax / 127.0f, inverse = amax > 0 ? 127.0f / amax : 0.0f;
            // Round to nearest even (the default MXCSR mode, as nearbyintf), then narrow.
            const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(inverse)));
            const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(inverse)));
            _mm_storeu_si128((__m128i *)(q + r * inputs + 32 * g), _mm512_cvtsepi32_epi8(q0));
            _mm_storeu_si128((__m128i *)(q + r * inputs + 32 * g + 16), _mm512_cvtsepi32_epi8(q1));
            scale[r * groups + g] = s;
            half_sums[r * 2 * groups + 2 * g] = s * (float)_mm512_reduce_add_epi32(q0);
            half_sums[r * 2 * groups + 2 * g + 1] = s * (float)_mm512_reduce_add_epi32(q1);
        }
    }
}

// MARK: Levels and factors of one group

// The 32 levels L of group g of the block at b (element order) and the factors a_h, b_h of its
// two halves. Vector form.
Q8_TARGET QINLINE __m256i q8_levels(const uint8_t *b, int g, float a[2], float o[2], const int type) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    switch (type) {
    case TVB_Q4_0: case TVB_Q4_1: case TVB_Q5_0: {
        const int at = type == TVB_Q4_0 ? 2 : (type == TVB_Q4_1 ? 4 : 6);
        const __m128i packed = _mm_loadu_si128((const __m128i *)(b + at));
        __m256i levels = _mm256_and_si256(
            _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low4);
        const float d = half_at(b);
        a[0] = a[1] = d;
        if (type == TVB_Q4_0) o[0] = o[1] = 8 * d;
        if (type == TVB_Q4_1) o[0] = o[1] = -half_at(b + 2);
        if (type == TVB_Q5_0) {
            o[0] = o[1] = 16 * d;
            levels = _mm256_or_si256(levels, _mm256_maskz_mov_epi8(u32_at(b + 2), _mm256_set1_epi8(0x10)));
        }
        return levels;
    }
    case TVB_Q8_0: {
        const float d = half_at(b);
        a[0] = a[1] = d;
        o[0] = o[1] = 128 * d;
        return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b + 2)), _mm256_set1_epi8((char)0x80));
    }
    case TVB_Q4_K: case TVB_Q5_K: {
        const int fifth = type == TVB_Q5_K;
        int sc, mn;
        scale_min_k4(g, b + 4, &sc, &mn);
        a[0] = a[1] = half_at(b) * (float)sc;
        o[0] = o[1] = half_at(b + 2) * (float)mn;
        __m256i packed = _mm256_loadu_si256((const __m256i *)(b + (fifth ? 48 : 16) + 32 * (g / 2)));
        if (g & 1) packed = _mm256_srli_epi16(packed, 4);
        __m256i levels = _mm256_and_si256(packed, low4);
        if (fifth) {
            const __mmask32 bits = _mm256_test_epi8_mask(_mm256_loadu_si256((const __m256i *)(b + 16)),
                                                        _mm256_set1_epi8((char)(1 << g)));
            levels = _mm256_or_si256(levels, _mm256_maskz_mov_epi8(bits, _mm256_set1_epi8(0x10)));
        }
        return levels;
    }
    default: { // Q6_K
        const int h = g / 4, s = g % 4;
        const float d = half_at(b + 208);
        const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * s;
        a[0] = d * (float)sc[0];
        a[1] = d * (float)sc[1];
        o[0] = 32 * a[0];
        o[1] = 32 * a[1];
        __m256i low = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32 * (s & 1)));
        if (s >= 2) low = _mm256_srli_epi16(low, 4);
        __m256i high = _mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)), _mm_cvtsi32_si128(2 * s));
        high = _mm256_slli_epi16(_mm256_and_si256(high, _mm256_set1_epi8(3)), 4);
        return _mm256_or_si256(_mm256_and_si256(low, low4), high);
    }
    }
}

// Scalar form: the same levels and factors (the reference).
static void q8_levels_naive(const uint8_t *b, int g, int levels[32], float a[2], float o[2], int type) {
    switch (type) {
    case TVB_Q4_0: case TVB_Q4_1: case TVB_Q5_0: {
        const int at = type == TVB_Q4_0 ? 2 : (type == TVB_Q4_1 ? 4 : 6);
        const float d = half_at(b);
        const uint32_t qh = type == TVB_Q5_0 ? u32_at(b + 2) : 0;
        for (int j = 0; j < 16; j++) {
            levels[j] = (b[at + j] & 0x0F) | (int)((qh >> j) & 1) << 4;
            levels[j + 16] = (b[at + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        }
        a[0] = a[1] = d;
        o[0] = o[1] = type == TVB_Q4_0 ? 8 * d : (type == TVB_Q4_1 ? -half_at(b + 2) : 16 * d);
        return;
    }
    case TVB_Q8_0: {
        const float d = half_at(b);
        for (int e = 0; e < 32; e++) levels[e] = (int)(int8_t)b[2 + e] + 128;
        a[0] = a[1] = d;
        o[0] = o[1] = 128 * d;
        return;
    }
    case TVB_Q4_K: case TVB_Q5_K: {
        const int fifth = type == TVB_Q5_K;
        int sc, mn;
        scale_min_k4(g, b + 4, &sc, &mn);
        const uint8_t *qs = b + (fifth ? 48 : 16) + 32 * (g / 2);
        for (int l = 0; l < 32; l++) {
            levels[l] = (g & 1 ? qs[l] >> 4 : qs[l] & 0x0F);
            if (fifth) levels[l] |= ((b[16 + l] >> g) & 1) << 4;
        }
        a[0] = a[1] = half_at(b) * (float)sc;
        o[0] = o[1] = half_at(b + 2) * (float)mn;
        return;
    }
    default: {
        const int h = g / 4, s = g % 4;
        const float d = half_at(b + 208);
        const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * s;
        const uint8_t *ql = b + 64 * h + 32 * (s & 1), *qh = b + 128 + 32 * h;
        for (int l = 0; l < 32; l++)
            levels[l] = (s >= 2 ? ql[l] >> 4 : ql[l] & 0x0F) | ((qh[l] >> (2 * s)) & 3) << 4;
        a[0] = d * (float)sc[0];
        a[1] = d * (float)sc[1];
        o[0] = 32 * a[0];
        o[1] = 32 * a[1];
        return;
    }
    }
}

// MARK: Products

void tvb_matvecq8_naive(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                        const uint8_t *w, long inputs, long o_begin, long o_end, long n, int type) {
    const long groups = inputs / 32, per_block = block_elements(type) / 32, bytes = block_bytes(type);
    if (per_block == 0) return;
    const long row_bytes = inputs / block_elements(type) * bytes;
    for (long o = o_begin; o < o_end; o++) {
        for (long r = 0; r < n; r++) {
            float sum = 0;
            for (long g = 0; g < groups; g++) {
                int levels[32];
                float a[2], off[2];
                q8_levels_naive(w + o * row_bytes + (g / per_block) * bytes, (int)(g % per_block), levels, a, off, type);
                const int8_t *qg = q + r * inputs + 32 * g;
                const float s = scale[r * groups + g];
                for (int h = 0; h < 2; h++) {
                    int dot = 0;
                    for (int e = 16 * h; e < 16 * h + 16; e++) dot += levels[e] * qg[e];
                    sum += s * a[h] * (float)dot - off[h] * half_sums[r * 2 * groups + 2 * g + h];
                }
            }
            y[r * ldy + o] = sum;
        }
    }
}

// One weight row against R (1–8, constant) activation rows. Per group: one vpdpbusd per row gives
// eight int32 lanes (lanes 0–3 the first half, 4–7 the second), multiplied in float by s · a_h.
// Even and odd groups accumulate apart (two FMA chains), since at R = 1 one chain's latency
// would bound the loop.
Q8_TARGET QINLINE void q8_row(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                              const uint8_t *row, long inputs, long o, const int R, const int type) {
    const long groups = inputs / 32, per_block = block_elements(type) / 32, bytes = block_bytes(type);
    const int split_halves = type == TVB_Q6_K;  // the only type with a factor per 16 elements
    __m256 acc[8][2];
    float offset[8][2];
    for (int r = 0; r < R; r++) {
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        offset[r][0] = offset[r][1] = 0;
    }
    for (long g = 0; g < groups; g++) {
        float a[2], off[2];
        const int chain = (int)(g & 1);
        const __m256i levels = q8_levels(row + (g / per_block) * bytes, (int)(g % per_block), a, off, type);
        const __m256 factor = split_halves ? _mm256_set_m128(_mm_set1_ps(a[1]), _mm_set1_ps(a[0])) : _mm256_set1_ps(a[0]);
        for (int r = 0; r < R; r++) {
            const __m256i qg = _mm256_loadu_si256((const __m256i *)(q + r * inputs + 32 * g));
            const __m256i dots = _mm256_dpbusd_epi32(_mm256_setzero_si256(), levels, qg);
            const __m256 scaled = _mm256_mul_ps(factor, _mm256_set1_ps(scale[r * groups + g]));
            acc[r][chain] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots), scaled, acc[r][chain]);
            const float *hs = half_sums + r * 2 * groups + 2 * g;
            offset[r][chain] += split_halves ? off[0] * hs[0] + off[1] * hs[1] : off[0] * (hs[0] + hs[1]);
        }
    }
    for (int r = 0; r < R; r++)
        y[r * ldy + o] = tvb_horizontal_sum(_mm256_add_ps(acc[r][0], acc[r][1])) - (offset[r][0] + offset[r][1]);
}

Q8_TARGET QINLINE void q8_rows(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                               const uint8_t *w, long inputs, long o_begin, long o_end, const int R, const int type) {
    const long row_bytes = inputs / block_elements(type) * block_bytes(type);
    for (long o = o_begin; o < o_end; o++) q8_row(y, ldy, q, scale, half_sums, w + o * row_bytes, inputs, o, R, type);
}

#define Q8_R(R) q8_rows(yb, ldy, qb, sb, hb, w, inputs, o_begin, o_end, R, T)
#define Q8_TYPE(T_) { const int T = T_; TVB_ROWS_DISPATCH(rows, Q8_R) }

Q8_TARGET void tvb_matvecq8(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                            const uint8_t *w, long inputs, long o_begin, long o_end, long n, int type) {
    const long groups = inputs / 32;
    for (long r0 = 0; r0 < n; r0 += 8) {
        const long rows = n - r0 < 8 ? n - r0 : 8;
        float *yb = y + r0 * ldy;
        const int8_t *qb = q + r0 * inputs;
        const float *sb = scale + r0 * groups, *hb = half_sums + r0 * 2 * groups;
        TVB_QUANT_DISPATCH(type, Q8_TYPE)
    }
}
