// Decoding GGUF blocks to float32 (see ckernels.h and quantblocks.h): whole rows, for the
// blocked-GEMM path of prefill, embedding lookups and the transposed product.
#include "ckernels.h"
#include "quantblocks.h"

long tvb_quant_block_elements(int type) { return block_elements(type); }
long tvb_quant_block_bytes(int type) { return block_bytes(type); }

// count elements (whole blocks) of type T: each 32-element group decoded in registers and stored.
#define DEQUANTIZE(T)                                                                          \
    {                                                                                          \
        const long groups = count / 32, per_block = block_elements(T) / 32;                    \
        for (long g = 0; g < groups; g++) {                                                    \
            __m256 v[4];                                                                       \
            decode_group(src + (g / per_block) * block_bytes(T), (int)(g % per_block), v, T);  \
            for (int s = 0; s < 4; s++) _mm256_storeu_ps(dst + 32 * g + 8 * s, v[s]);           \
        }                                                                                      \
    }

void tvb_dequantize(float *dst, const uint8_t *src, long count, int type) {
    TVB_QUANT_DISPATCH(type, DEQUANTIZE)
}

void tvb_dequantize_naive(float *dst, const uint8_t *src, long count, int type) {
    const long elements = block_elements(type), bytes = block_bytes(type);
    if (elements == 0) return;
    for (long b = 0; b < count / elements; b++) {
        const uint8_t *block = src + b * bytes;
        float *out = dst + b * elements;
        switch (type) {
        case TVB_Q4_0: block_naive_q4_0(block, out); break;
        case TVB_Q4_1: block_naive_q4_1(block, out); break;
        case TVB_Q5_0: block_naive_q5_0(block, out); break;
        case TVB_Q8_0: block_naive_q8_0(block, out); break;
        case TVB_Q4_K: block_naive_q4_k(block, out); break;
        case TVB_Q5_K: block_naive_q5_k(block, out); break;
        default: block_naive_q6_k(block, out); break;
        }
    }
}
