// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Tensors are row-major: the last index is contiguous.

/// A dense, row-major Float32 tensor with value semantics (copy-on-write through `[Float]`).
public struct Tensor: Equatable, Sendable {
    /// Extent of every dimension; `shape.reduce(1, *) == scalars.count`.
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Float]

    /// - Precondition: every extent is non-negative and the counts agree.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) holds \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The same elements seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, scalars: scalars)
    }

    /// Row `i` of a tensor viewed as (shape[0], rest): a copy of `count / shape[0]` elements.
    public func row(_ i: Int) -> [Float] {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "row \(i) out of range for \(shape)")
        let width = count / shape[0]
        return Array(scalars[(i * width)..<((i + 1) * width)])
    }

    /// Rows `range` of a tensor viewed as (shape[0], rest), as (range.count, rest…): a copy.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) out of range for \(shape)")
        let width = count / max(1, shape[0])
        return Tensor(shape: [range.count] + shape.dropFirst(), scalars: Array(scalars[(range.lowerBound * width)..<(range.upperBound * width)]))
    }
}
