// Row selection and row replacement: how an intervention reaches one position of a (N, C) activation;
// broadcasting one row and stacking blocks of rows (per-task blocks of a batch).

extension Tape {
    /// The rows `indices` of x (N, C): shape (R, C).
    public func rows(_ x: Variable, _ indices: [Int]) -> Variable {
        let c = x.value.count / max(1, x.shape[0])
        let shape = x.shape
        var y = [Float](repeating: 0, count: indices.count * c)
        x.value.scalars.withUnsafeBufferPointer { xp in
            for (i, r) in indices.enumerated() {
                precondition(r >= 0 && r < shape[0], "rows: index \(r) out of \(shape[0])")
                for j in 0..<c { y[i * c + j] = xp[r * c + j] }
            }
        }
        return record(Tensor(shape: [indices.count, c], scalars: y), inputs: [x]) { dy in
            var dx = Tensor(shape: shape)
            for (i, r) in indices.enumerated() { for j in 0..<c { dx.scalars[r * c + j] += dy.scalars[i * c + j] } }
            return [dx]
        }
    }

    /// x (N, C) with rows `indices` replaced by the rows of `replacement` (R, C).
    /// - Precondition: indices are distinct.
    public func replacingRows(_ x: Variable, _ indices: [Int], with replacement: Variable) -> Variable {
        let c = x.value.count / max(1, x.shape[0])
        precondition(replacement.shape == [indices.count, c], "replacingRows: \(replacement.shape) for \(indices.count) rows of \(c)")
        precondition(Set(indices).count == indices.count, "replacingRows: repeated row index")
        var y = x.value
        for (i, r) in indices.enumerated() { for j in 0..<c { y.scalars[r * c + j] = replacement.value.scalars[i * c + j] } }
        return record(y, inputs: [x, replacement]) { dy in
            var dx = dy
            var dr = Tensor(shape: [indices.count, c])
            for (i, r) in indices.enumerated() {
                for j in 0..<c {
                    dr.scalars[i * c + j] = dy.scalars[r * c + j]
                    dx.scalars[r * c + j] = 0
                }
            }
            return [dx, dr]
        }
    }

    /// v (1, C) repeated as (R, C); the gradient sums the rows.
    public func broadcastRows(_ v: Variable, count: Int) -> Variable {
        let c = v.value.count
        var y = [Float]()
        y.reserveCapacity(count * c)
        for _ in 0..<count { y.append(contentsOf: v.value.scalars) }
        let shape = v.shape
        return record(Tensor(shape: [count, c], scalars: y), inputs: [v]) { dy in
            [Tensor(shape: shape, scalars: columnSums(dy, columns: c).scalars)]
        }
    }

    /// The rows of `parts` ((R_i, C) each) one block after another: (Σ R_i, C). The gradient
    /// splits back into the blocks.
    public func stackRows(_ parts: [Variable]) -> Variable {
        precondition(!parts.isEmpty, "stackRows: nothing to stack")
        if parts.count == 1 { return parts[0] }
        let c = parts[0].shape.last ?? 0
        precondition(parts.allSatisfy { $0.value.rank == 2 && $0.shape[1] == c }, "stackRows: shapes \(parts.map(\.shape))")
        var scalars = [Float]()
        scalars.reserveCapacity(parts.reduce(0) { $0 + $1.value.count })
        for part in parts { scalars.append(contentsOf: part.value.scalars) }
        let counts = parts.map { $0.value.count }, shapes = parts.map(\.shape)
        return record(Tensor(shape: [scalars.count / max(1, c), c], scalars: scalars), inputs: parts) { dy in
            var start = 0
            return zip(counts, shapes).map { count, shape in
                defer { start += count }
                return Tensor(shape: shape, scalars: Array(dy.scalars[start..<(start + count)]))
            }
        }
    }
}
