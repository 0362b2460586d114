// Row-wise and elementwise kernels of the forward and backward passes (see ckernels.h): RMSNorm,
// LayerNorm, SwiGLU and GELU-tanh. Written as plain loops that
// clang vectorises for AVX2 + FMA; `fp reassociate`, scoped to the row sums, lets it split each
// sum over vector lanes (the order is fixed by the code and the compile flags, so results are
// deterministic run to run). It stays off elsewhere: fast_exp's rounding trick needs strict order.
#include "ckernels.h"
#include <math.h>

// Σ_j a[j] b[j] and Σ_j a[j], vectorised.
static inline float dot(const float *a, const float *b, long count) {
#pragma clang fp reassociate(on)
    float sum = 0;
    for (long j = 0; j < count; j++) sum += a[j] * b[j];
    return sum;
}

// max_j a[j] (count ≥ 1) over 8 lanes, so that it vectorises: a maximum is exact, so the order
// changes nothing. Written out because clang keeps a single-accumulator max loop scalar (it may
// not reorder a compare-select reduction), which was half of the softmax's time on long rows.
static inline float max_of(const float *a, long count) {
    float lanes[8];
    for (int k = 0; k < 8; k++) lanes[k] = a[0];
    long j = 0;
    for (; j + 8 <= count; j += 8)
        for (int k = 0; k < 8; k++) lanes[k] = a[j + k] > lanes[k] ? a[j + k] : lanes[k];
    float maximum = lanes[0];
    for (int k = 1; k < 8; k++) maximum = lanes[k] > maximum ? lanes[k] : maximum;
    for (; j < count; j++) maximum = a[j] > maximum ? a[j] : maximum;
    return maximum;
}

static inline float sum_of(const float *a, long count) {
#pragma clang fp reassociate(on)
    float sum = 0;
    for (long j = 0; j < count; j++) sum += a[j];
    return sum;
}

// e^x, x clamped to [-87, 88]: x = n ln2 + r (Cody–Waite split of ln2), e^r by its degree-6
// Taylor polynomial (relative error < 2e-7 for |r| <= ln2/2), 2^n built in the exponent bits.
// Branch-free, so the loops calling it vectorise.
static inline float fast_exp(float x) {
    float c = fminf(fmaxf(x, -87.0f), 88.0f);
    float shifted = c * 1.44269504f + 12582912.0f;  // + 1.5·2^23 rounds to an integer in the low bits
    float n = shifted - 12582912.0f;
    float r = c - n * 0.69314575f - n * 1.4286068e-6f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    union { float f; int32_t i; } s = {shifted}, scale;
    scale.i = ((s.i - 0x4B400000) + 127) << 23;
    return p * scale.f;
}

void tvb_rmsnorm_forward(float *y, float *rstd, const float *x, const float *w, long n, long c,
                         float epsilon, float offset) {
    for (long r = 0; r < n; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        float s = 1.0f / sqrtf(dot(xr, xr, c) / (float)c + epsilon);
        if (rstd) rstd[r] = s;
        for (long j = 0; j < c; j++) yr[j] = xr[j] * s * (w[j] + offset);
    }
}

void tvb_rmsnorm_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
                          const float *rstd, long n, long c, float offset) {
    for (long r = 0; r < n; r++) {
        const float *xr = x + r * c, *dyr = dy + r * c;
        const float s = rstd[r];
        float total;
        {
#pragma clang fp reassociate(on)
            total = 0;
            for (long j = 0; j < c; j++) total += dyr[j] * (w[j] + offset) * xr[j];
        }
        const float k = s * s * s * total / (float)c;
        if (dx) {
            float *dxr = dx + r * c;
            for (long j = 0; j < c; j++) dxr[j] += s * (w[j] + offset) * dyr[j] - k * xr[j];
        }
        if (dw)
            for (long j = 0; j < c; j++) dw[j] += dyr[j] * xr[j] * s;
    }
}

void tvb_layernorm_forward(float *y, float *normalized, float *rstd, const float *x, const float *w,
                           const float *b, long n, long c, float epsilon) {
    for (long r = 0; r < n; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c, *hr = normalized + r * c;
        const float mean = sum_of(xr, c) / (float)c;
        float variance;
        {
#pragma clang fp reassociate(on)
            variance = 0;
            for (long j = 0; j < c; j++) variance += (xr[j] - mean) * (xr[j] - mean);
        }
        const float s = 1.0f / sqrtf(variance / (float)c + epsilon);
        rstd[r] = s;
        for (long j = 0; j < c; j++) {
            float h = (xr[j] - mean) * s;
            hr[j] = h;
            yr[j] = h * w[j] + b[j];
        }
    }
}

void tvb_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *normalized,
                            const float *w, const float *rstd, long n, long c) {
    for (long r = 0; r < n; r++) {
        const float *dyr = dy + r * c, *hr = normalized + r * c;
        float meanG, meanGH;
        {
#pragma clang fp reassociate(on)
            meanG = 0, meanGH = 0;
            for (long j = 0; j < c; j++) {
                float g = dyr[j] * w[j];
                meanG += g;
                meanGH += g * hr[j];
            }
        }
        for (long j = 0; j < c; j++) {
            dw[j] += dyr[j] * hr[j];
            db[j] += dyr[j];
        }
        meanG /= (float)c;
        meanGH /= (float)c;
        if (dx) {
            float *dxr = dx + r * c;
            const float s = rstd[r];
            for (long j = 0; j < c; j++) dxr[j] = s * (dyr[j] * w[j] - meanG - hr[j] * meanGH);
        }
    }
}

void tvb_swiglu_forward(float *y, const float *gate, const float *up, long count) {
    for (long i = 0; i < count; i++) {
        float x = gate[i];
        y[i] = x / (1 + fast_exp(-x)) * up[i];
    }
}

void tvb_swiglu_backward(float *dgate, float *dup, const float *dy, const float *gate, const float *up, long count) {
    for (long i = 0; i < count; i++) {
        float x = gate[i], s = 1 / (1 + fast_exp(-x));
        dgate[i] = dy[i] * up[i] * s * (1 + x * (1 - s));
        dup[i] = dy[i] * x * s;
    }
}

// tanh(√(2/π) (v + 0.044715 v³)) as 1 − 2/(e^{2u} + 1).
static inline float gelu_tanh_inner(float v) {
    float u = 0.79788456f * (v + 0.044715f * v * v * v);
    return 1 - 2 / (fast_exp(2 * u) + 1);
}

void tvb_gelu_tanh_forward(float *y, float *tanh_out, const float *x, long count) {
    for (long i = 0; i < count; i++) {
        float v = x[i], t = gelu_tanh_inner(v);
        tanh_out[i] = t;
        y[i] = 0.5f * v * (1 + t);
    }
}

void tvb_geglu_forward(float *y, const float *gate, const float *up, long count) {
    for (long i = 0; i < count; i++) {
        float v = gate[i], t = gelu_tanh_inner(v);
        float activated = 0.5f * v * (1 + t);
        y[i] = activated * up[i];
    }
}

void tvb_gelu_tanh_backward(float *dx, const float *dy, const float *x, const float *t, long count) {
    const float c = 0.79788456f;
    for (long i = 0; i < count; i++) {
        float v = x[i], s = t[i];
        dx[i] = dy[i] * (0.5f * (1 + s) + 0.5f * v * (1 - s * s) * c * (1 + 3 * 0.044715f * v * v));
    }
}

// Masked softmax over the rows of scores (t, s): row i is the query at position s − t + i and
// keeps keys in [first, position], first = max(0, position − window + 1) when window > 0.
void tvb_masked_softmax_rows(float *scores, long t, long s, long window) {
    for (long row = 0; row < t; row++) {
        long position = s - t + row;
        long first = window > 0 && position - window + 1 > 0 ? position - window + 1 : 0;
        long count = position - first + 1;
        float *r = scores + row * s, *kept = r + first;
        float maximum = max_of(kept, count);
        for (long j = 0; j < count; j++) kept[j] = fast_exp(kept[j] - maximum);
        float inverse = 1 / sum_of(kept, count);
        for (long j = 0; j < count; j++) kept[j] *= inverse;
        for (long j = 0; j < first; j++) r[j] = 0;
        for (long j = position + 1; j < s; j++) r[j] = 0;
    }
}
