// Shapes: the parameter list of `RegressionWeights.all`; moments have the same shapes.
import Foundation
import Models
import Tensors

/// Adam as torch.optim.Adam without weight decay (bias-corrected moments), with its state in the
/// open so that a checkpoint can store and restore it exactly. (`Tensors.Adam` keeps its moments
/// private.)
public struct RegressionAdam: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Updates taken so far.
    public var step: Int
    /// First and second moments, one tensor per parameter in the order of `RegressionWeights.all`.
    public var firstMoments: [Tensor]
    public var secondMoments: [Tensor]

    /// Zero moments for parameters of the given shapes.
    public init(learningRate: Float, shapes: [[Int]]) {
        self.learningRate = learningRate
        step = 0
        firstMoments = shapes.map { Tensor.zeros($0) }
        secondMoments = firstMoments
    }

    /// One update of every parameter from its gradient.
    /// - Precondition: shapes match the moments.
    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == firstMoments.count && gradients.count == firstMoments.count,
                     "RegressionAdam: \(parameters.count) parameters, \(gradients.count) gradients, \(firstMoments.count) moments")
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let correction1 = Float(1 - pow(Double(b1), Double(step))), correction2 = Float(1 - pow(Double(b2), Double(step)))
        let stepSize = learningRate / correction1, rootCorrection2 = correction2.squareRoot()
        for p in parameters.indices {
            precondition(parameters[p].shape == gradients[p].shape && parameters[p].shape == firstMoments[p].shape,
                         "RegressionAdam: parameter \(p) is \(parameters[p].shape), gradient \(gradients[p].shape), moment \(firstMoments[p].shape)")
            parameters[p].scalars.withUnsafeMutableBufferPointer { x in
            gradients[p].scalars.withUnsafeBufferPointer { g in
            firstMoments[p].scalars.withUnsafeMutableBufferPointer { m in
            secondMoments[p].scalars.withUnsafeMutableBufferPointer { v in
                for i in 0..<x.count {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    // torch: p −= lr/c1 · m / (sqrt(v)/sqrt(c2) + eps)
                    x[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
                }
            }}}}
        }
    }
}
