/// A complete binary tree of the given depth (Garg et al. 2022): every internal node tests the
/// sign of one random coordinate of x and goes right when it is positive; every leaf holds a
/// value drawn from N(0, 1). Nodes are stored heap-style: the children of node i are 2i+1, 2i+2.
public struct DecisionTree: RegressionFunction, Equatable {
    public let dimension: Int
    public let depth: Int
    /// The coordinate each internal node tests, `2^depth - 1` of them, in heap order.
    public let features: [Int]
    /// The value of each leaf, `2^depth` of them, left to right.
    public let leafValues: [Float]

    public static let defaultDepth = 4

    /// - Precondition: counts match the depth and features lie in `0..<dimension`.
    public init(dimension: Int, depth: Int, features: [Int], leafValues: [Float]) {
        precondition(depth >= 1 && depth <= 20, "depth must be in 1...20, got \(depth)")
        precondition(features.count == (1 << depth) - 1, "a depth-\(depth) tree has \((1 << depth) - 1) internal nodes, got \(features.count)")
        precondition(leafValues.count == 1 << depth, "a depth-\(depth) tree has \(1 << depth) leaves, got \(leafValues.count)")
        precondition(features.allSatisfy { (0..<dimension).contains($0) }, "feature index outside 0..<\(dimension)")
        self.dimension = dimension
        self.depth = depth
        self.features = features
        self.leafValues = leafValues
    }

    /// The index (0..<2^depth) of the leaf x falls into.
    public func leafIndex(_ x: UnsafeBufferPointer<Float>) -> Int {
        var node = 0
        for _ in 0..<depth {
            node = 2 * node + (x[features[node]] > 0 ? 2 : 1)
        }
        return node - features.count
    }

    public func evaluate(_ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == dimension, "input has \(x.count) values, the function takes \(dimension)")
        return leafValues[leafIndex(x)]
    }

    public static func sample<G: RandomNumberGenerator>(
        dimension: Int, depth: Int = defaultDepth, using generator: inout G
    ) -> DecisionTree {
        precondition(dimension >= 1, "dimension must be positive, got \(dimension)")
        let features = (0..<((1 << depth) - 1)).map { _ in generator.nextIndex(below: dimension) }
        let leaves = (0..<(1 << depth)).map { _ in Float(generator.nextGaussian()) }
        return DecisionTree(dimension: dimension, depth: depth, features: features, leafValues: leaves)
    }
}
