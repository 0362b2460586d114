// In-place arithmetic used by the tape and the optimisers.

extension Tensor {
    /// self += other, elementwise. - Precondition: equal shapes.
    public mutating func add(_ other: Tensor, scaledBy factor: Float = 1) {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += factor * b[i] }
            }
        }
    }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Double {
        scalars.reduce(0.0) { $0 + Double($1) }
    }

    /// Euclidean norm, accumulated in Double.
    public func norm() -> Double {
        scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
}
