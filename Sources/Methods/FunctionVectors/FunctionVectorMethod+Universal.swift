// Shape legend: L layers, H heads.
import Tensors

extension FunctionVectorMethod {
    /// Universal heads (Todd et al.): the `count` heads of largest CIE averaged over tasks.
    /// - Parameter effects: per task, the CIE (L, H); all the same shape.
    /// - Returns: the heads, largest average first, and the average (L, H).
    /// - Precondition: at least one table, all of one (L, H) shape; `count <= L·H`.
    public static func universalHeads(averaging effects: [Tensor], count: Int) -> (heads: [AttentionHead], average: Tensor) {
        precondition(!effects.isEmpty, "universal heads: no CIE tables")
        let shape = effects[0].shape
        precondition(shape.count == 2 && effects.allSatisfy { $0.shape == shape }, "universal heads: CIE shapes \(effects.map(\.shape))")
        var sum = [Double](repeating: 0, count: effects[0].count)
        for table in effects {
            for (i, x) in table.scalars.enumerated() { sum[i] += Double(x) }
        }
        let average = Tensor(shape: shape, scalars: sum.map { Float($0 / Double(effects.count)) })
        return (AttentionHead.top(count, of: average.scalars, heads: shape[1]), average)
    }

    /// Universal heads of this method's settings over the tasks of `contexts`: prepares (or loads
    /// from `cache`, which makes it cheap) the task-specific function vector of each task, then
    /// averages their CIE and keeps the `topHeads` best. Use them with `heads: .fixed(...)`.
    /// - Throws: what `prepare` throws.
    public func universalHeads(contexts: [MethodContext], cache: ArtifactCache?) throws -> (heads: [AttentionHead], average: Tensor) {
        let method = withTopHeads
        // Preparing with `.topByEffect` always yields the CIE table (a cached artifact without one is recomputed).
        let effects = try contexts.map { try method.prepareFunctionVector($0, cache: cache).causalIndirectEffects! }
        return Self.universalHeads(averaging: effects, count: topHeads)
    }
}
