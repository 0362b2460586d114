#ifndef TVB_CKERNELS_H
#define TVB_CKERNELS_H
// Kernels over weight matrices stored in 16-bit floats (bfloat16 or IEEE half), converting on the
// fly. Shapes: N rows of activations, I inputs, O outputs; a weight matrix is (O, I) row-major,
// as PyTorch's Linear stores it. Compiled for AVX2 + FMA + F16C (the baseline of this project).
#include <stdint.h>

// The project supports Linux on x86-64 only (Package.swift); say so instead of failing on the
// first intrinsic.
#if !defined(__x86_64__)
#error "CKernels needs an x86-64 CPU with AVX2, FMA and F16C: TaskVectorBench supports Linux on x86-64 only"
#endif

// Storage kinds of the 16-bit kernels.
#define TVB_KIND_BF16 0
#define TVB_KIND_F16 1

// y[r, o] = sum_k x[r, k] * w[o, k] for r < n and o in [o_begin, o_end); other columns of y are
// untouched. x (n, inputs) has row stride ldx, y (n, ·) row stride ldy. Any n ≥ 0 works; it is
// meant for few rows (the weight is read once per 8 rows of x).
void tvb_matvec16(float *y, long ldy, const float *x, long ldx, const uint16_t *w, long inputs,
                  long o_begin, long o_end, long n, int kind);

// dx[r, k] += sum_{o in [o_begin, o_end)} dy[r, o] * w[o, k] for r < n and every k < inputs.
// dx (n, inputs) has row stride lddx, dy (n, ·) row stride lddy.
void tvb_matvec16_transposed(float *dx, long lddx, const float *dy, long lddy, const uint16_t *w,
                             long inputs, long o_begin, long o_end, long n, int kind);

// Runs fn(context, c) for every chunk c < chunks on up to `threads` threads: the caller and
// workers of a pool that spin briefly between jobs (parallel.c). Chunks must write disjoint
// outputs. One job runs at a time; a call that finds the pool busy runs its chunks alone.
typedef void (*tvb_chunk_fn)(void *context, long chunk);
void tvb_parallel_chunks(long chunks, int threads, tvb_chunk_fn fn, void *context);
// Sends the pool's spinning workers to sleep at once: called before work on other threads
// (OpenBLAS's), which would otherwise share their cores with the spinners.
void tvb_parallel_rest(void);

// dst[i] = float(src[i]) for i < count.
void tvb_convert16(float *dst, const uint16_t *src, long count, int kind);

// Whether this CPU has what the kernels were compiled for (AVX2, FMA, F16C).
int tvb_cpu_supported(void);

// Row kernels (rowkernels.c). Shapes: n rows of c features, weights and biases (c).

// RMSNorm: y = x / sqrt(mean(x²) + eps) ⊙ (w + offset) per row; rstd[r] (may be NULL) gets the reciprocal RMS.
void tvb_rmsnorm_forward(float *y, float *rstd, const float *x, const float *w, long n, long c,
                         float epsilon, float offset);
// dx (may be NULL) += ∂L/∂x, dw (may be NULL) += ∂L/∂w, given dy and the forward's rstd.
void tvb_rmsnorm_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
                          const float *rstd, long n, long c, float offset);
// LayerNorm: normalized = (x − mean) · rstd, y = normalized ⊙ w + b; writes all three.
void tvb_layernorm_forward(float *y, float *normalized, float *rstd, const float *x, const float *w,
                           const float *b, long n, long c, float epsilon);
// dx (may be NULL) = ∂L/∂x (overwritten); dw += ∂L/∂w and db += ∂L/∂b (accumulated).
void tvb_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *normalized,
                            const float *w, const float *rstd, long n, long c);

// Softmax of each row of scores (t, s) in place, row i being the query at position s − t + i:
// keys after that position (and, for window > 0, at or before position − window) become exactly
// 0. The vectorised form of Tensors' maskedSoftmaxRows (its reference), with rowkernels' e^x.
void tvb_masked_softmax_rows(float *scores, long t, long s, long window);

// Elementwise over count elements.
// y = silu(gate) ⊙ up, with silu(x) = x σ(x).
void tvb_swiglu_forward(float *y, const float *gate, const float *up, long count);
// dgate and dup (overwritten) of the SwiGLU above.
void tvb_swiglu_backward(float *dgate, float *dup, const float *dy, const float *gate, const float *up, long count);
// y = 0.5 x (1 + t), t = tanh(sqrt(2/π)(x + 0.044715 x³)) written to tanh_out for the backward.
void tvb_gelu_tanh_forward(float *y, float *tanh_out, const float *x, long count);
// dx (overwritten) of the GELU above, given its t.
void tvb_gelu_tanh_backward(float *dx, const float *dy, const float *x, const float *t, long count);
// y = gelu(gate) ⊙ up with the GELU above (each element rounded as gelu then product), keeping
// no tanh: GeGLU's forward when nothing needs a gradient.
void tvb_geglu_forward(float *y, const float *gate, const float *up, long count);

// Kernels over GGUF block-quantised weights (quantblocks.h, dequantq.c, matvecq.c). A weight
// matrix (O, I) is O rows of I / block-elements blocks each, row o starting at byte
// o · tvb_quant_row_bytes(type, I). The decoders give exactly the elements of ggml's
// dequantize_row_* (and ModelFormats' dequantisers); the matrix–vector kernels multiply in float32,
// equal to the product with those elements up to float32 rounding.
// Block types, by ggml's type codes:
#define TVB_Q4_0 2
#define TVB_Q4_1 3
#define TVB_Q5_0 6
#define TVB_Q8_0 8
#define TVB_Q4_K 12
#define TVB_Q5_K 13
#define TVB_Q6_K 14

// Elements and bytes of one block of `type`; 0 for a type these kernels do not handle.
long tvb_quant_block_elements(int type);
long tvb_quant_block_bytes(int type);

// dst[i] = element i of the blocks at src, for i < count (a multiple of the block elements).
// The vectorised decoder and its scalar reference; both give the same bits.
void tvb_dequantize(float *dst, const uint8_t *src, long count, int type);
void tvb_dequantize_naive(float *dst, const uint8_t *src, long count, int type);

// y[r, o] = sum_k x[r, k] * w[o, k] for r < n and o in [o_begin, o_end), as tvb_matvec16 with
// the weight's rows read from their blocks (inputs a multiple of the block elements).
void tvb_matvecq(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                 long o_begin, long o_end, long n, int type);
// tvb_matvecq's two kernels: AVX2 for every type (integer levels times activations, scaled per
// group: matvecq.c), and AVX-512 for all but Q5_K (4- and 5-bit
// levels looked up in per-group tables of their weights, matvecq512.c), which
// tvb_matvecq picks where the CPU has AVX-512F/BW/VL (tvb_cpu_has_avx512_matvecq).
void tvb_matvecq_avx2(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                      long o_begin, long o_end, long n, int type);
void tvb_matvecq512(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                    long o_begin, long o_end, long n, int type);
int tvb_matvecq512_handles(int type);
int tvb_cpu_has_avx512_matvecq(void);
// The algorithmic spec of tvb_matvecq: decode a row with the scalar decoder, then a plain dot
// product in index order.
void tvb_matvecq_naive(float *y, long ldy, const float *x, long ldx, const uint8_t *w, long inputs,
                       long o_begin, long o_end, long n, int type);

// dx[r, k] += sum_{o < outputs} dy[r, o] * w[o, k] for r < n and the columns k of the 32-element
// groups [g_begin, g_end) (k in [32 g_begin, 32 g_end)): the backward product, split over threads
// by column groups (each writes only its columns of dx).
void tvb_matvecq_transposed(float *dx, long lddx, const float *dy, long lddy, const uint8_t *w, long inputs,
                            long outputs, long g_begin, long g_end, long n, int type);

// Block weights times activations rounded to int8 per 32-element group (matvecq8.c, llama.cpp's
// q8 dot products through AVX512_VNNI). Shapes: x (n, I) with row stride ldx; G = I / 32.
// Call the fast functions only where tvb_cpu_has_avx512vnni() is 1.
int tvb_cpu_has_avx512vnni(void);
// q (n, I) = round(x / s) per group, scale (n, G) = s = max|x| / 127, half_sums (n, 2G) = s · Σ q
// over each 16 elements. The vectorised form and its scalar reference give the same bits.
void tvb_quantize_rows_q8(int8_t *q, float *scale, float *half_sums, const float *x, long ldx, long n, long inputs);
void tvb_quantize_rows_q8_naive(int8_t *q, float *scale, float *half_sums, const float *x, long ldx, long n, long inputs);
// y[r, o] for r < n, o in [o_begin, o_end): the product of the rounded activations (above) with
// weight row o, integer sums per half group scaled in float32 (matvecq8.c gives the formula).
void tvb_matvecq8(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                  const uint8_t *w, long inputs, long o_begin, long o_end, long n, int type);
// The algorithmic spec of tvb_matvecq8: levels and factors decoded with scalar code, sums in index order.
void tvb_matvecq8_naive(float *y, long ldy, const int8_t *q, const float *scale, const float *half_sums,
                        const uint8_t *w, long inputs, long o_begin, long o_end, long n, int type);

// bfloat16 matrix products (gemmbf16.c): y (n, O) = x (n, I) · wᵀ with both operands rounded to
// bfloat16 (nearest even) and float32 sums, through AVX512_BF16's vdpbf16ps. The weight is packed
// once into panels of 16 outputs × input pairs (tvb_bf16_pack); x is rounded into rows of
// I rounded up to even (tvb_bf16_round_rows). Call tvb_gemm_bf16 only where
// tvb_cpu_has_avx512bf16() is 1.
int tvb_cpu_has_avx512bf16(void);
// Elements of the packed panels of an (outputs, inputs) weight.
long tvb_bf16_panel_elements(long outputs, long inputs);
void tvb_bf16_pack(uint16_t *panels, const float *w, long outputs, long inputs);
// xb (n, I rounded up to even) = bfloat16(x (n, inputs)), the padding column zero.
void tvb_bf16_round_rows(uint16_t *xb, const float *x, long n, long inputs);
// y[r, o] for r < n and o in [o_begin, o_end); o_begin a multiple of 16; y has row stride ldy.
void tvb_gemm_bf16(float *y, long ldy, const uint16_t *xb, long n, long inputs, const uint16_t *panels,
                   long outputs, long o_begin, long o_end);
// The algorithmic spec: round x and w to bfloat16, multiply in float32, sum in index order;
// y (n, outputs) from x (n, inputs) and w (outputs, inputs) in float32.
void tvb_gemm_bf16_naive(float *y, const float *x, const float *w, long n, long inputs, long outputs);
// The same product for CPUs without AVX512_BF16 (gemmbf16avx2.c; AVX2 + FMA), arguments as
// tvb_gemm_bf16's: per output, for each input pair in order, fma(odd) then fma(even), as vdpbf16ps.
void tvb_gemm_bf16_avx2(float *y, long ldy, const uint16_t *xb, long n, long inputs, const uint16_t *panels,
                        long outputs, long o_begin, long o_end);
// tvb_bf16_round_rows without AVX-512.
void tvb_bf16_round_rows_scalar(uint16_t *xb, const float *x, long n, long inputs);
// vdpbf16ps's definition, scalar: the sums tvb_gemm_bf16_avx2 must equal bit for bit.
void tvb_gemm_bf16_pairs_naive(float *y, const float *x, const float *w, long n, long inputs, long outputs);
// Nearest-even float → bfloat16 bits (NaN kept quiet), and back.
uint16_t tvb_bf16_from_float(float value);
float tvb_float_from_bf16(uint16_t bits);

#endif
