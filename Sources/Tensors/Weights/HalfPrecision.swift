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
    precondition(type != .float32, "convert16: Float32 storage needs no conversion")
    tvb_convert16(dst, src, count, type.kernelKind)
}

extension WeightStorageType {
    /// The C kernels' tag for a 16-bit type.
    var kernelKind: Int32 { self == .bfloat16 ? TVB_KIND_BF16 : TVB_KIND_F16 }
}
