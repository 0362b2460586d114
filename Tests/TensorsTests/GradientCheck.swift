// Central finite-difference checks of the tape's gradients.
//
// A function f(inputs) built on the tape is reduced to the scalar L = Σ f(inputs) ⊙ R, with R a
// fixed seeded normal tensor of f's output shape, so every output element contributes with its own
// weight. The tape's gradient of L with respect to every input is compared with
// (L(x + ε e_j) − L(x − ε e_j)) / (2ε) evaluated on constants (nothing recorded), summed in Double.
// The reduction uses `Tape.record` directly, so no op under test takes part in it.
// Shapes: inputs of any shape; R has the shape of f's output.
import Foundation
import Testing
@testable import Tensors

/// The tape's and the numeric gradient of one input.
struct GradientComparison {
    /// Position of the input in the list given to the checker.
    let input: Int
    let analytic: Tensor
    let numeric: Tensor

    /// ‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂), 0 when both vanish.
    var relativeError: Double { GradientChecker.relativeError(analytic, numeric) }
    var numericNorm: Double { numeric.norm() }
}

struct GradientChecker {
    /// A function of the inputs, given as tape variables (parameters for the tape's gradients,
    /// constants for the numeric ones). It may capture constant tensors of its own.
    typealias Function = (_ tape: Tape, _ inputs: [Variable]) -> Variable

    /// Half-width of the central difference. With Float32 forwards and O(1) inputs, 1e-2 keeps
    /// truncation (ε² f‴/6) and rounding (ulp(L)/ε) both near 1e-5 relative.
    var epsilon: Float = 1e-2
    /// Largest accepted relative error of a whole gradient vector. Correct gradients in this suite
    /// measure 0 (linear ops) to 1.4e-4 (TVB_GRADIENT_CHECK_VERBOSE=1 prints them); a 1% error in one
    /// element, or a gradient 1% too large, fails (GradientCheckTests).
    var tolerance: Double = 1e-3
    /// A numeric gradient below this norm proves nothing; the check fails instead of passing.
    var minimumNorm: Double = 1e-3
    /// Seed of the projection R.
    var seed: UInt64 = 0x5EED_0F_6AD5

    /// ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂), 0 when both are zero.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape, "relativeError: shapes \(a.shape) and \(b.shape)")
        var difference = 0.0
        for i in 0..<a.count {
            let d = Double(a.scalars[i]) - Double(b.scalars[i])
            difference += d * d
        }
        let scale = max(a.norm(), b.norm())
        return scale == 0 ? 0 : difference.squareRoot() / scale
    }

    /// The fixed weights R of the output elements.
    func projection(shape: [Int]) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return rng.normal(shape)
    }

    /// L = Σ f(inputs) ⊙ R on constants, accumulated in Double.
    func loss(_ inputs: [Tensor], projection r: Tensor, _ f: Function) -> Double {
        let output = f(Tape(), inputs.map { Variable(constant: $0) }).value
        precondition(output.shape == r.shape, "the function's output shape changed: \(output.shape) vs \(r.shape)")
        var total = 0.0
        for i in 0..<output.count { total += Double(output.scalars[i]) * Double(r.scalars[i]) }
        return total
    }

    /// ∂L/∂input for every input, from the tape. Also returns whether the output was recorded.
    func analyticGradients(_ inputs: [Tensor], projection r: Tensor, _ f: Function) -> (gradients: [Tensor], recorded: Bool) {
        let tape = Tape()
        let parameters = inputs.map { tape.parameter($0) }
        let output = f(tape, parameters)
        precondition(output.shape == r.shape, "the function's output shape changed: \(output.shape) vs \(r.shape)")
        var dot = 0.0
        for i in 0..<output.value.count { dot += Double(output.value.scalars[i]) * Double(r.scalars[i]) }
        let loss = tape.record(Tensor(shape: [1], scalars: [Float(dot)]), inputs: [output]) { dy in
            [r.map { $0 * dy.scalars[0] }]
        }
        let gradients = tape.gradients(of: loss)
        return (parameters.map { gradients[$0] }, output.requiresGradient)
    }

    /// ∂L/∂input for every input by central differences. The step is the one Float32 actually
    /// took ((x + ε) − (x − ε) in Double), not 2ε.
    func numericGradients(_ inputs: [Tensor], projection r: Tensor, _ f: Function) -> [Tensor] {
        inputs.indices.map { index in
            var gradient = Tensor(shape: inputs[index].shape)
            var perturbed = inputs
            for j in 0..<inputs[index].count {
                let x = inputs[index].scalars[j]
                let up = x + epsilon, down = x - epsilon
                perturbed[index].scalars[j] = up
                let lossUp = loss(perturbed, projection: r, f)
                perturbed[index].scalars[j] = down
                let lossDown = loss(perturbed, projection: r, f)
                perturbed[index].scalars[j] = x
                gradient.scalars[j] = Float((lossUp - lossDown) / (Double(up) - Double(down)))
            }
            return gradient
        }
    }

    /// Both gradients of every input of f.
    func compare(_ inputs: [Tensor], _ f: Function) -> (comparisons: [GradientComparison], recorded: Bool) {
        let shape = f(Tape(), inputs.map { Variable(constant: $0) }).shape
        let r = projection(shape: shape)
        let (analytic, recorded) = analyticGradients(inputs, projection: r, f)
        let numeric = numericGradients(inputs, projection: r, f)
        let comparisons = inputs.indices.map { GradientComparison(input: $0, analytic: analytic[$0], numeric: numeric[$0]) }
        return (comparisons, recorded)
    }

    /// Whether a comparison passes this checker's tolerance and is not vacuous.
    func accepts(_ comparison: GradientComparison) -> Bool {
        comparison.numericNorm >= minimumNorm && comparison.relativeError <= tolerance
    }
}

/// Expects the tape's gradient of every input of `f` to match central differences.
/// - Parameter names: labels of the inputs for the failure messages.
func expectGradientsMatch(
    _ inputs: [Tensor], names: [String]? = nil, checker: GradientChecker = GradientChecker(),
    sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping GradientChecker.Function
) {
    let (comparisons, recorded) = checker.compare(inputs, f)
    #expect(recorded, "the output does not depend on the parameters on the tape", sourceLocation: sourceLocation)
    let verbose = ProcessInfo.processInfo.environment["TVB_GRADIENT_CHECK_VERBOSE"] != nil
    for comparison in comparisons {
        let name = names?[comparison.input] ?? "input \(comparison.input)"
        if verbose {
            print("gradient check \(sourceLocation.fileName):\(sourceLocation.line) \(name): relative error \(comparison.relativeError), numeric norm \(comparison.numericNorm)")
        }
        #expect(
            comparison.numericNorm >= checker.minimumNorm,
            "\(name): numeric gradient norm \(comparison.numericNorm) too small to check anything",
            sourceLocation: sourceLocation)
        #expect(
            comparison.relativeError <= checker.tolerance,
            "\(name): relative error \(comparison.relativeError) > \(checker.tolerance) (tape norm \(comparison.analytic.norm()), numeric norm \(comparison.numericNorm))",
            sourceLocation: sourceLocation)
    }
}
