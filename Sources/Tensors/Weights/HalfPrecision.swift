// Scalar conversions between Float32 and the 16-bit storage formats, and the bulk conversion
// through the vector kernels.
import CKernels

/// bfloat16 bits → Float: the top half of a Float32.
@inlinable
public func floatFromBFloat16(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

/// IEEE half bits → Float (exact).
@inlinable
public func floatFromFloat16(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

/// Float → bfloat16 bits, rounding to nearest even; NaN stays NaN (quiet).
public func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
}

/// Float → IEEE half bits, rounding to nearest even (Swift's conversion).
public func float16Bits(_ value: Float) -> UInt16 { Float16(value).bitPattern }

/// dst[i] = Float(src[i]) for i < count, through the AVX2/F16C kernel.
func convert16(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<UInt16>, count: Int, _ type: WeightStorageType) {
    precondition(type == .bfloat16 || type == .float16, "convert16: \(type) storage is not 16-bit floats")
    tvb_convert16(dst, src, count, type.kernelKind)
}

extension WeightStorageType {
    /// The C kernels' tag: TVB_KIND_* for a 16-bit type, the ggml type code (TVB_Q*) for a block type.
    var kernelKind: Int32 {
        switch self {
        case .float32: return -1
        case .bfloat16: return TVB_KIND_BF16
        case .float16: return TVB_KIND_F16
        case .q4_0: return TVB_Q4_0
        case .q4_1: return TVB_Q4_1
        case .q5_0: return TVB_Q5_0
        case .q8_0: return TVB_Q8_0
        case .q4_K: return TVB_Q4_K
        case .q5_K: return TVB_Q5_K
        case .q6_K: return TVB_Q6_K
        }
    }
}
