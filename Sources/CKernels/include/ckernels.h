#ifndef TVB_CKERNELS_H
#define TVB_CKERNELS_H
// Kernels over weight matrices stored in 16-bit floats (bfloat16 or IEEE half), converting on the
// fly. Shapes: N rows of activations, I inputs, O outputs; a weight matrix is (O, I) row-major,
// as PyTorch's Linear stores it. Compiled for AVX2 + FMA + F16C (the baseline of this project).
#include <stdint.h>

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

#endif
