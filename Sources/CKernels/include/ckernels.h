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

// Elementwise over count elements.
// y = silu(gate) ⊙ up, with silu(x) = x σ(x).
void tvb_swiglu_forward(float *y, const float *gate, const float *up, long count);
// dgate and dup (overwritten) of the SwiGLU above.
void tvb_swiglu_backward(float *dgate, float *dup, const float *dy, const float *gate, const float *up, long count);
// y = 0.5 x (1 + t), t = tanh(sqrt(2/π)(x + 0.044715 x³)) written to tanh_out for the backward.
void tvb_gelu_tanh_forward(float *y, float *tanh_out, const float *x, long count);
// dx (overwritten) of the GELU above, given its t.
void tvb_gelu_tanh_backward(float *dx, const float *dy, const float *x, const float *t, long count);

#endif
