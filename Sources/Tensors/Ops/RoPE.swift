// Rotary position embedding. Shapes: x (N, H·Dh), one absolute position per row.
import Foundation

/// How a head's dimensions are paired for rotation.
public enum RotaryPairing: String, Sendable, Codable {
    /// Pairs (2i, 2i+1): llama.cpp's "normal" layout, which its converters produce for llama-family
    /// GGUF files by permuting the query/key weights.
    case interleaved
    /// Pairs (i, i + Dh/2): Hugging Face's `rotate_half` (and llama.cpp's NEOX layout).
    case halves
}

/// Rotary embedding for one head size: inverse frequencies and the pairing.
public struct RotaryEmbedding: Sendable, Equatable {
    /// Rotated dimensions per head (Dh).
    public let headDimensions: Int
    /// (Dh / 2) inverse frequencies, after any scaling.
    public let inverseFrequencies: [Float]
    public let pairing: RotaryPairing
    /// Scale applied to cos and sin (1 except for some scaled variants).
    public let attentionFactor: Float

    public init(headDimensions: Int, inverseFrequencies: [Float], pairing: RotaryPairing, attentionFactor: Float = 1) {
        precondition(inverseFrequencies.count == headDimensions / 2, "RoPE: \(inverseFrequencies.count) frequencies for Dh \(headDimensions)")
        self.headDimensions = headDimensions
        self.inverseFrequencies = inverseFrequencies
        self.pairing = pairing
        self.attentionFactor = attentionFactor
    }

    /// θ^(−2i/Dh) for i < Dh/2.
    public static func defaultFrequencies(headDimensions: Int, base: Float) -> [Float] {
        (0..<(headDimensions / 2)).map { i in
            Float(1.0 / pow(Double(base), Double(2 * i) / Double(headDimensions)))
        }
    }

    /// Rotates every head of every row in place by its row's position; `inverse` rotates back
    /// (the transpose, which is the backward pass of this linear map).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positions: [Int], inverse: Bool = false) {
        precondition(positions.count == rows, "RoPE: \(positions.count) positions for \(rows) rows")
        let dh = headDimensions, half = dh / 2
        var cosines = [Float](repeating: 0, count: half), sines = [Float](repeating: 0, count: half)
        for r in 0..<rows {
            let p = Double(positions[r])
            for i in 0..<half {
                let angle = p * Double(inverseFrequencies[i])
                cosines[i] = Float(cos(angle)) * attentionFactor
                sines[i] = Float(sin(angle)) * attentionFactor * (inverse ? -1 : 1)
            }
            for h in 0..<heads {
                let v = x + (r * heads + h) * dh
                for i in 0..<half {
                    let (a, b) = pairing == .interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
                    let x0 = v[a], x1 = v[b]
                    v[a] = x0 * cosines[i] - x1 * sines[i]
                    v[b] = x0 * sines[i] + x1 * cosines[i]
                }
            }
        }
    }
}

extension Tape {
    /// Applies `rope` to x (N, heads·Dh) with one position per row.
    public func rotary(_ x: Variable, _ rope: RotaryEmbedding, heads: Int, positions: [Int]) -> Variable {
        precondition(x.shape.last == heads * rope.headDimensions, "rotary: \(x.shape) is not (N, \(heads)·\(rope.headDimensions))")
        let rows = x.value.count / (heads * rope.headDimensions)
        var y = x.value
        y.scalars.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, rows: rows, heads: heads, positions: positions) }
        return record(y, inputs: [x]) { dy in
            var dx = dy
            dx.scalars.withUnsafeMutableBufferPointer {
                rope.apply($0.baseAddress!, rows: rows, heads: heads, positions: positions, inverse: true)
            }
            return [dx]
        }
    }
}
