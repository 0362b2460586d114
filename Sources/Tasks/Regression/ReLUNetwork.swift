/// f(x) = sqrt(2/h) · Σ_j w2[j] · relu(W1[j]·x), h = 100 hidden units (Garg et al. 2022).
/// The scale makes E[f(x)²] = d for x ~ N(0, I_d), like the linear class.
public struct ReLUNetwork: RegressionFunction, Equatable {
    public let dimension: Int
    public let hiddenUnits: Int
    public let inputWeights: [Float]  // (h, d) row-major
    public let outputWeights: [Float]  // (h)

    public static let defaultHiddenUnits = 100

    /// - Precondition: the weight counts match (h, d) and (h).
    public init(dimension: Int, hiddenUnits: Int, inputWeights: [Float], outputWeights: [Float]) {
        precondition(inputWeights.count == hiddenUnits * dimension, "W1 has \(inputWeights.count) values, expected (\(hiddenUnits), \(dimension))")
        precondition(outputWeights.count == hiddenUnits, "w2 has \(outputWeights.count) values, expected \(hiddenUnits)")
        self.dimension = dimension
        self.hiddenUnits = hiddenUnits
        self.inputWeights = inputWeights
        self.outputWeights = outputWeights
    }

    public var outputScale: Float { (2 / Float(hiddenUnits)).squareRoot() }

    public func evaluate(_ x: UnsafeBufferPointer<Float>) -> Float {
        precondition(x.count == dimension, "input has \(x.count) values, the function takes \(dimension)")
        var output: Float = 0
        inputWeights.withUnsafeBufferPointer { w1 in
            outputWeights.withUnsafeBufferPointer { w2 in
                for j in 0..<hiddenUnits {
                    var preActivation: Float = 0
                    let row = j * dimension
                    for i in 0..<dimension { preActivation += w1[row + i] * x[i] }
                    output += w2[j] * max(preActivation, 0)
                }
            }
        }
        return outputScale * output
    }

    /// All weights N(0, 1).
    public static func sample<G: RandomNumberGenerator>(
        dimension: Int, hiddenUnits: Int = defaultHiddenUnits, using generator: inout G
    ) -> ReLUNetwork {
        precondition(dimension >= 1 && hiddenUnits >= 1, "need positive sizes, got d \(dimension), h \(hiddenUnits)")
        let w1 = (0..<(hiddenUnits * dimension)).map { _ in Float(generator.nextGaussian()) }
        let w2 = (0..<hiddenUnits).map { _ in Float(generator.nextGaussian()) }
        return ReLUNetwork(dimension: dimension, hiddenUnits: hiddenUnits, inputWeights: w1, outputWeights: w2)
    }
}
