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

    /// cos and sin (times `attentionFactor`) of every row's angles, for `apply(_:rows:heads:table:inverse:)`.
    public func table(positions: [Int]) -> RotaryTable {
        let half = headDimensions / 2
        var cosines = [Float](repeating: 0, count: positions.count * half), sines = cosines
        for (r, position) in positions.enumerated() {
            let p = Double(position)
            for i in 0..<half {
                let angle = p * Double(inverseFrequencies[i])
                cosines[r * half + i] = Float(cos(angle)) * attentionFactor
                sines[r * half + i] = Float(sin(angle)) * attentionFactor
            }
        }
        return RotaryTable(rows: positions.count, half: half, cosines: cosines, sines: sines)
    }

    /// Rotates every head of every row in place by its row's position; `inverse` rotates back
    /// (the transpose, which is the backward pass of this linear map).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positions: [Int], inverse: Bool = false) {
        precondition(positions.count == rows, "RoPE: \(positions.count) positions for \(rows) rows")
        apply(x, rows: rows, heads: heads, table: table(positions: positions), inverse: inverse)
    }

    /// `apply(_:rows:heads:positions:inverse:)` with the angles' cos and sin computed once (a
    /// decoder shares one table between the queries and keys of every layer with this embedding).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, table: RotaryTable, inverse: Bool = false) {
        checkTable(table, rows: rows)
        ParallelOutputs.forEachPart(units: rows, unitSize: heads * headDimensions) { part in
            rotate(x, rows: part, heads: heads, table: table, inverse: inverse)
        }
    }

    /// Traps unless `table` holds the angles of `rows` rows of this head size.
    func checkTable(_ table: RotaryTable, rows: Int) {
        precondition(table.rows == rows && table.half == headDimensions / 2,
                     "RoPE: a table of \(table.rows)×\(table.half) for \(rows) rows of Dh \(headDimensions)")
    }

    /// Rotates rows `part` of x (N, heads·Dh) in place, with row r's angles from row r of `table`.
    func rotate(_ x: UnsafeMutablePointer<Float>, rows part: Range<Int>, heads: Int, table: RotaryTable, inverse: Bool) {
        let dh = headDimensions, half = dh / 2
        let sign: Float = inverse ? -1 : 1
        let (stepA, stepB) = pairing == .interleaved ? (2, 1) : (1, half)  // pair i is (stepA·i, stepA·i + stepB)
        table.cosines.withUnsafeBufferPointer { cp in
            table.sines.withUnsafeBufferPointer { sp in
                for r in part {
                    let c = cp.baseAddress! + r * half, s = sp.baseAddress! + r * half
                    for h in 0..<heads {
                        let v = x + (r * heads + h) * dh
                        for i in 0..<half {
                            let a = stepA * i, b = a + stepB
                            let x0 = v[a], x1 = v[b], sine = s[i] * sign
                            v[a] = x0 * c[i] - x1 * sine
                            v[b] = x0 * sine + x1 * c[i]
                        }
                    }
                }
            }
        }
    }
}

/// cos and sin of the rotary angles of R rows: (R, Dh/2) each, row-major.
public struct RotaryTable: Sendable {
    public let rows: Int
    public let half: Int
    public let cosines: [Float]
    public let sines: [Float]
}

extension Tape {
    /// Applies `rope` to x (N, heads·Dh) with one position per row.
    public func rotary(_ x: Variable, _ rope: RotaryEmbedding, heads: Int, positions: [Int]) -> Variable {
        rotary(x, rope, heads: heads, table: rope.table(positions: positions))
    }

    /// Applies `rope` to x (N, heads·Dh) with the cos and sin of `table` (one row per row of x).
    public func rotary(_ x: Variable, _ rope: RotaryEmbedding, heads: Int, table: RotaryTable) -> Variable {
        precondition(x.shape.last == heads * rope.headDimensions, "rotary: \(x.shape) is not (N, \(heads)·\(rope.headDimensions))")
        let width = heads * rope.headDimensions, rows = x.value.count / width
        rope.checkTable(table, rows: rows)
        // Each part of the pool copies its rows and rotates them, so the copy is split too.
        let y = uninitializedTensor(x.shape) { yp in
            x.value.scalars.withUnsafeBufferPointer { xp in
                ParallelOutputs.forEachPart(units: rows, unitSize: width) { part in
                    let offset = part.lowerBound * width
                    (yp + offset).update(from: xp.baseAddress! + offset, count: part.count * width)
                    rope.rotate(yp, rows: part, heads: heads, table: table, inverse: false)
                }
            }
        }
        return record(y, inputs: [x]) { dy in
            var dx = dy
            dx.scalars.withUnsafeMutableBufferPointer {
                rope.apply($0.baseAddress!, rows: rows, heads: heads, table: table, inverse: true)
            }
            return [dx]
        }
    }
}
