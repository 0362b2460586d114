import Foundation

/// Adam (Kingma & Ba), as torch.optim.Adam without weight decay: bias-corrected moments.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Steps taken so far.
    public private(set) var step = 0
    private var firstMoments: [[Float]] = []
    private var secondMoments: [[Float]] = []

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Updates every parameter from its gradient (same order and shapes on every call).
    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == gradients.count, "Adam: \(parameters.count) parameters, \(gradients.count) gradients")
        if firstMoments.isEmpty {
            firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
            secondMoments = firstMoments
        }
        precondition(
            firstMoments.count == parameters.count,
            "Adam: \(parameters.count) parameters, but the first update had \(firstMoments.count)")
        step += 1
        let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
        for p in parameters.indices {
            precondition(parameters[p].shape == gradients[p].shape, "Adam: parameter \(p) is \(parameters[p].shape), gradient \(gradients[p].shape)")
            precondition(
                parameters[p].count == firstMoments[p].count,
                "Adam: parameter \(p) has \(parameters[p].count) elements, but \(firstMoments[p].count) at the first update")
            let g = gradients[p].scalars
            for i in 0..<g.count {
                firstMoments[p][i] = beta1 * firstMoments[p][i] + (1 - beta1) * g[i]
                secondMoments[p][i] = beta2 * secondMoments[p][i] + (1 - beta2) * g[i] * g[i]
                let mHat = firstMoments[p][i] / correction1, vHat = secondMoments[p][i] / correction2
                parameters[p].scalars[i] -= learningRate * mHat / (sqrtf(vHat) + epsilon)
            }
        }
    }
}
