#ifndef TVB_QUANTBLOCKS_H
#define TVB_QUANTBLOCKS_H
// Decoders of GGUF blocks, shared by dequantq.c and matvecq.c (internal to CKernels).
//
// Block layouts (little-endian; ggml's block_* structs, ModelFormats/Quantization):
//   Q4_0 (32 elements, 18 bytes): f16 d, qs[16];                 x = d · (q − 8)
//   Q4_1 (32, 20): f16 d, f16 m, qs[16];                           x = d · q + m
//   Q5_0 (32, 22): f16 d, u32 qh, qs[16];                          x = d · (q − 16), q 5 bits
//   Q8_0 (32, 34): f16 d, int8 qs[32];                             x = d · q
//   Q4_K (256, 144): f16 d, f16 dmin, scales[12], qs[128];         x = d·sc · q − dmin·mn
//   Q5_K (256, 176): f16 d, f16 dmin, scales[12], qh[32], qs[128]; as Q4_K with a fifth bit
//   Q6_K (256, 210): ql[128], qh[64], int8 scales[16], f16 d;      x = d·sc · (q − 32), q 6 bits
// In the 32-element formats byte j holds element j (low nibble) and j + 16 (high nibble).
//
// Every block is read as groups of 32 consecutive elements (1 group per 32-element block, 8 per
// K-quant super-block): group_* decodes group g of a block into four vectors of 8 floats, and
// block_naive_* decodes a whole block with scalar code. Both compute each element with the same
// float operations in the same order as ggml and ModelFormats (products and sums are not fused
// into FMAs), so they give identical bits.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#define QINLINE static inline __attribute__((always_inline))

QINLINE float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

QINLINE uint32_t u32_at(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Q4_K / Q5_K: 6-bit scale and min of sub-block j (< 8) from the 12 packed bytes.
QINLINE void scale_min_k4(int j, const uint8_t *q, int *scale, int *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// MARK: Vector helpers

// 32 bytes → four vectors of 8 int32 (elements 0–7, 8–15, 16–23, 24–31).
QINLINE void widen32(__m256i bytes, __m256i out[4]) {
    __m128i lo = _mm256_castsi256_si128(bytes), hi = _mm256_extracti128_si256(bytes, 1);
    out[0] = _mm256_cvtepu8_epi32(lo);
    out[1] = _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8));
    out[2] = _mm256_cvtepu8_epi32(hi);
    out[3] = _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8));
}

// 16 bytes of nibbles → 32 levels in 32-element order (low nibbles first, then high nibbles).
QINLINE void nibbles16(const uint8_t *qs, __m256i out[4]) {
    __m128i b = _mm_loadu_si128((const __m128i *)qs), mask = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(b, mask), hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
    widen32(_mm256_set_m128i(hi, lo), out);
}

// 32 bytes → their low (high = 0) or high (high = 1) nibbles as 32 levels.
QINLINE void nibbles32(const uint8_t *qs, int high, __m256i out[4]) {
    __m256i b = _mm256_loadu_si256((const __m256i *)qs);
    if (high) b = _mm256_srli_epi16(b, 4);
    widen32(_mm256_and_si256(b, _mm256_set1_epi8(0x0F)), out);
}

// Bit (shift + lane) of `bits` in each lane, moved to bit 4.
QINLINE __m256i fifth_bits(uint32_t bits, int shift) {
    __m256i lanes = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(shift));
    __m256i bit = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)bits), lanes), _mm256_set1_epi32(1));
    return _mm256_slli_epi32(bit, 4);
}

QINLINE __m256 scaled(__m256i q, float d) { return _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(d)); }

// MARK: Group decoders (group g of the block at b → v[0..3])

QINLINE void group_q4_0(const uint8_t *b, int g, __m256 v[4]) {
    (void)g;
    const float d = half_at(b);
    __m256i q[4];
    nibbles16(b + 2, q);
    for (int s = 0; s < 4; s++) v[s] = scaled(_mm256_sub_epi32(q[s], _mm256_set1_epi32(8)), d);
}

QINLINE void group_q4_1(const uint8_t *b, int g, __m256 v[4]) {
    (void)g;
    const float d = half_at(b), m = half_at(b + 2);
    __m256i q[4];
    nibbles16(b + 4, q);
    for (int s = 0; s < 4; s++) v[s] = _mm256_add_ps(scaled(q[s], d), _mm256_set1_ps(m));
}

QINLINE void group_q5_0(const uint8_t *b, int g, __m256 v[4]) {
    (void)g;
    const float d = half_at(b);
    const uint32_t qh = u32_at(b + 2);
    __m256i q[4];
    nibbles16(b + 6, q);
    for (int s = 0; s < 4; s++)
        v[s] = scaled(_mm256_sub_epi32(_mm256_or_si256(q[s], fifth_bits(qh, 8 * s)), _mm256_set1_epi32(16)), d);
}

QINLINE void group_q8_0(const uint8_t *b, int g, __m256 v[4]) {
    (void)g;
    const float d = half_at(b);
    for (int s = 0; s < 4; s++)
        v[s] = scaled(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + 8 * s))), d);
}

// Q4_K and Q5_K (fifth = 1): group g takes the low (g even) or high (g odd) nibbles of
// qs[32 (g / 2) ...], scale and min g; Q5_K's fifth bit is bit g of qh[l].
QINLINE void group_k4(const uint8_t *b, int g, __m256 v[4], const int fifth) {
    const float d = half_at(b), dmin = half_at(b + 2);
    int sc, mn;
    scale_min_k4(g, b + 4, &sc, &mn);
    const float d1 = d * (float)sc, m1 = dmin * (float)mn;
    const uint8_t *qs = b + (fifth ? 48 : 16) + 32 * (g / 2);
    __m256i q[4];
    nibbles32(qs, g & 1, q);
    if (fifth) {
        __m256i h[4];
        widen32(_mm256_loadu_si256((const __m256i *)(b + 16)), h);
        const __m128i shift = _mm_cvtsi32_si128(g);
        for (int s = 0; s < 4; s++) {
            __m256i bit = _mm256_and_si256(_mm256_srl_epi32(h[s], shift), _mm256_set1_epi32(1));
            q[s] = _mm256_add_epi32(q[s], _mm256_slli_epi32(bit, 4));
        }
    }
    for (int s = 0; s < 4; s++) v[s] = _mm256_sub_ps(scaled(q[s], d1), _mm256_set1_ps(m1));
}

QINLINE void group_q4_k(const uint8_t *b, int g, __m256 v[4]) { group_k4(b, g, v, 0); }
QINLINE void group_q5_k(const uint8_t *b, int g, __m256 v[4]) { group_k4(b, g, v, 1); }

// Q6_K: group g lies in half h = g / 4 (128 elements), slot s = g % 4: low 4 bits from the low
// (s < 2) or high nibbles of ql[64 h + 32 (s % 2) ...], high 2 bits from qh[32 h ...] at shift
// 2 s; scales[8 h + 2 s] for its first 16 elements and scales[8 h + 2 s + 1] for the next 16.
QINLINE void group_q6_k(const uint8_t *b, int g, __m256 v[4]) {
    const int h = g / 4, s = g % 4;
    const float d = half_at(b + 208);
    const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * s;
    const float d1 = d * (float)sc[0], d2 = d * (float)sc[1];
    __m256i q[4], hi[4];
    nibbles32(b + 64 * h + 32 * (s & 1), s >= 2, q);
    widen32(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)), hi);
    const __m128i shift = _mm_cvtsi32_si128(2 * s);
    for (int k = 0; k < 4; k++) {
        __m256i top = _mm256_and_si256(_mm256_srl_epi32(hi[k], shift), _mm256_set1_epi32(3));
        __m256i level = _mm256_sub_epi32(_mm256_or_si256(q[k], _mm256_slli_epi32(top, 4)), _mm256_set1_epi32(32));
        v[k] = scaled(level, k < 2 ? d1 : d2);
    }
}

// MARK: Scalar block decoders (the reference; a whole block → out)

static inline void block_naive_q4_0(const uint8_t *b, float *out) {
    const float d = half_at(b);
    for (int j = 0; j < 16; j++) {
        out[j] = (float)((int)(b[2 + j] & 0x0F) - 8) * d;
        out[j + 16] = (float)((int)(b[2 + j] >> 4) - 8) * d;
    }
}

static inline void block_naive_q4_1(const uint8_t *b, float *out) {
    const float d = half_at(b), m = half_at(b + 2);
    for (int j = 0; j < 16; j++) {
        out[j] = (float)(b[4 + j] & 0x0F) * d + m;
        out[j + 16] = (float)(b[4 + j] >> 4) * d + m;
    }
}

static inline void block_naive_q5_0(const uint8_t *b, float *out) {
    const float d = half_at(b);
    const uint32_t qh = u32_at(b + 2);
    for (int j = 0; j < 16; j++) {
        const int high0 = (int)((qh >> j) & 1) << 4, high1 = (int)((qh >> (j + 16)) & 1) << 4;
        out[j] = (float)(((b[6 + j] & 0x0F) | high0) - 16) * d;
        out[j + 16] = (float)(((b[6 + j] >> 4) | high1) - 16) * d;
    }
}

static inline void block_naive_q8_0(const uint8_t *b, float *out) {
    const float d = half_at(b);
    for (int j = 0; j < 32; j++) out[j] = (float)(int8_t)b[2 + j] * d;
}

static inline void block_naive_k4(const uint8_t *b, float *out, const int fifth) {
    const float d = half_at(b), dmin = half_at(b + 2);
    const uint8_t *qh = b + 16, *q = b + (fifth ? 48 : 16);
    for (int chunk = 0; chunk < 4; chunk++) {
        int s1, m1, s2, m2;
        scale_min_k4(2 * chunk, b + 4, &s1, &m1);
        scale_min_k4(2 * chunk + 1, b + 4, &s2, &m2);
        const float d1 = d * (float)s1, min1 = dmin * (float)m1, d2 = d * (float)s2, min2 = dmin * (float)m2;
        for (int l = 0; l < 32; l++) {
            const int h1 = fifth && (qh[l] >> (2 * chunk)) & 1 ? 16 : 0;
            const int h2 = fifth && (qh[l] >> (2 * chunk + 1)) & 1 ? 16 : 0;
            out[64 * chunk + l] = d1 * (float)((q[32 * chunk + l] & 0x0F) + h1) - min1;
            out[64 * chunk + 32 + l] = d2 * (float)((q[32 * chunk + l] >> 4) + h2) - min2;
        }
    }
}

static inline void block_naive_q4_k(const uint8_t *b, float *out) { block_naive_k4(b, out, 0); }
static inline void block_naive_q5_k(const uint8_t *b, float *out) { block_naive_k4(b, out, 1); }

static inline void block_naive_q6_k(const uint8_t *b, float *out) {
    const float d = half_at(b + 208);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
        const int8_t *sc = (const int8_t *)(b + 192) + 8 * h;
        float *o = out + 128 * h;
        for (int l = 0; l < 32; l++) {
            const int g = l / 16;
            const int q1 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            o[l] = d * (float)sc[g] * (float)q1;
            o[l + 32] = d * (float)sc[g + 2] * (float)q2;
            o[l + 64] = d * (float)sc[g + 4] * (float)q3;
            o[l + 96] = d * (float)sc[g + 6] * (float)q4;
        }
    }
}

// MARK: Dispatch on a block type that is a compile-time constant after inlining

// Elements per block (32 or 256) and bytes per block; 0 for other types.
QINLINE long block_elements(const int type) {
    switch (type) {
    case 2: case 3: case 6: case 8: return 32;
    case 12: case 13: case 14: return 256;
    default: return 0;
    }
}

QINLINE long block_bytes(const int type) {
    switch (type) {
    case 2: return 18;
    case 3: return 20;
    case 6: return 22;
    case 8: return 34;
    case 12: return 144;
    case 13: return 176;
    case 14: return 210;
    default: return 0;
    }
}

QINLINE void decode_group(const uint8_t *block, int g, __m256 v[4], const int type) {
    switch (type) {
    case 2: group_q4_0(block, g, v); break;
    case 3: group_q4_1(block, g, v); break;
    case 6: group_q5_0(block, g, v); break;
    case 8: group_q8_0(block, g, v); break;
    case 12: group_q4_k(block, g, v); break;
    case 13: group_q5_k(block, g, v); break;
    default: group_q6_k(block, g, v); break;
    }
}

// Calls BODY(T) with T the block type as a constant, so each case compiles its own loop.
#define TVB_QUANT_DISPATCH(type, BODY)       \
    switch (type) {                          \
    case 2: BODY(2); break;                  \
    case 3: BODY(3); break;                  \
    case 6: BODY(6); break;                  \
    case 8: BODY(8); break;                  \
    case 12: BODY(12); break;                \
    case 13: BODY(13); break;                \
    case 14: BODY(14); break;                \
    default: break;                          \
    }

#endif
