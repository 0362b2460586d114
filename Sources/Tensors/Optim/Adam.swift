import Foundation

/// Adam (Kingma & Ba), as torch.optim.Adam without weight decay: bias-corrected moments.
/// Its state is open so that a checkpoint can store and restore it exactly.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Steps taken so far.
    public var step = 0
    /// First and second moments, one per parameter in update order, shaped like it; empty until
    /// the first update unless given by `init(learningRate:shapes:)`.
    public var firstMoments: [Tensor] = []
    public var secondMoments: [Tensor] = []

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Zero moments for parameters of the given shapes.
    public init(learningRate: Float, shapes: [[Int]]) {
        self.init(learningRate: learningRate)
        firstMoments = shapes.map { Tensor.zeros($0) }
        secondMoments = firstMoments
    }

    /// Updates every parameter from its gradient (same order and shapes on every call).
    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == gradients.count, "Adam: \(parameters.count) parameters, \(gradients.count) gradients")
        if firstMoments.isEmpty {
            firstMoments = parameters.map { Tensor.zeros($0.shape) }
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
            let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate
            parameters[p].scalars.withUnsafeMutableBufferPointer { x in
            gradients[p].scalars.withUnsafeBufferPointer { g in
            firstMoments[p].scalars.withUnsafeMutableBufferPointer { m in
            secondMoments[p].scalars.withUnsafeMutableBufferPointer { v in
                for i in 0..<g.count {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    let mHat = m[i] / correction1, vHat = v[i] / correction2
                    x[i] -= lr * mHat / (sqrtf(vHat) + eps)
                }
            }}}}
        }
    }
}
