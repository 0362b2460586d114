// Shapes: table (V, D), ids (N) → (N, D).

extension Tape {
    /// Rows of `table` for `ids`, each scaled by `scale`; the table's gradient is a scatter-add.
    public func embedding(_ table: Variable, ids: [Int], scale: Float = 1) -> Variable {
        let v = table.shape[0], d = table.shape[1]
        var y = [Float](repeating: 0, count: ids.count * d)
        table.value.scalars.withUnsafeBufferPointer { tp in
            for (i, id) in ids.enumerated() {
                precondition(id >= 0 && id < v, "embedding: id \(id) outside vocabulary of \(v)")
                for j in 0..<d { y[i * d + j] = tp[id * d + j] * scale }
            }
        }
        let shape = table.shape
        return record(Tensor(shape: [ids.count, d], scalars: y), inputs: [table]) { dy in
            var dt = Tensor(shape: shape)
            for (i, id) in ids.enumerated() { for j in 0..<d { dt.scalars[id * d + j] += dy.scalars[i * d + j] * scale } }
            return [dt]
        }
    }
}
