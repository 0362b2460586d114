import Tensors

/// How a loaded model stores its linear weights and embedding (norm vectors are always Float32).
public enum WeightFormat: String, Sendable, CaseIterable {
    /// Float32; GGUF blocks are dequantised at load. The reference: parity with fp32 transformers.
    /// A GGUF matrix also keeps a view of its blocks, which forward products of up to 32 rows
    /// (decode, the last-token logits) read instead: the same numbers up to float32 rounding.
    case float32
    /// Re-encoded after loading, rounding to nearest even: half the bytes of Float32.
    case bfloat16, float16
    /// GGUF tensors kept as the file stores them (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K blocks,
    /// F32/F16/BF16 elements) and read in place from the mapped file: no Float32 copy, and decode
    /// reads 4–8 times fewer bytes. Results equal Float32's up to float32 rounding. Other block
    /// types are dequantised; Hugging Face folders load as stored.
    case quantized

    /// The element type every matrix is converted to after loading; nil for `.quantized`.
    public var elementType: WeightStorageType? {
        switch self {
        case .float32: return .float32
        case .bfloat16: return .bfloat16
        case .float16: return .float16
        case .quantized: return nil
        }
    }
}
