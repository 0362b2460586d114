// Shapes: the tensors here are small (N, C) operands; the tape itself is shape-agnostic.
// The tape records only what depends on a parameter, accumulates gradients, and reports zeros
// for what the loss does not depend on.
import Testing
@testable import Tensors

@Suite struct TapeTests {
    @Test func constantOnlyComputationRecordsNoNode() {
        var rng = SplitMix64(seed: 1100)
        let tape = Tape()
        let x = Variable(constant: rng.normal([3, 4])), w = Variable(constant: rng.normal([5, 4]))
        let norm = Variable(constant: rng.normal([5]))
        var h = tape.linear(x, weight: w)
        h = tape.rmsNorm(h, weight: norm, epsilon: 1e-6)
        h = tape.add(tape.silu(h), tape.scale(h, by: 2))
        let loss = tape.sum(tape.crossEntropy(logits: h, targets: [0, 1, 4]))
        #expect(tape.nodeCount == 0)
        #expect(!loss.requiresGradient && loss.node == nil)
        // Back-propagating from a constant gives zeros, not a crash.
        let gradients = tape.gradients(of: loss)
        #expect(gradients[x] == Tensor.zeros([3, 4]))
    }

    @Test func onlyParameterDependentOpsAreRecorded() {
        var rng = SplitMix64(seed: 1101)
        let tape = Tape()
        let p = tape.parameter(rng.normal([2, 3]))
        let c = Variable(constant: rng.normal([2, 3]))
        let constantBranch = tape.silu(tape.multiply(c, c))  // no node
        #expect(tape.nodeCount == 1 && !constantBranch.requiresGradient)
        let y = tape.add(p, constantBranch)
        #expect(tape.nodeCount == 2 && y.requiresGradient)
        _ = tape.sum(y)
        #expect(tape.nodeCount == 3)
    }

    @Test func gradientsAccumulateWhenAVariableIsUsedTwice() {
        let x = Tensor(shape: [3], scalars: [1, -2, 0.5])
        // d/dx Σ x ⊙ x = 2x: both operands are the same node.
        let tape = Tape()
        let p = tape.parameter(x)
        #expect(tape.gradients(of: tape.sum(tape.multiply(p, p)))[p] == Tensor(shape: [3], scalars: [2, -4, 1]))
        // d/dx Σ (2x + 3x) = 5: two branches meet at x.
        let branches = Tape()
        let q = branches.parameter(x)
        let loss = branches.sum(branches.add(branches.scale(q, by: 2), branches.scale(q, by: 3)))
        #expect(branches.gradients(of: loss)[q] == Tensor(shape: [3], repeating: 5))
        // Used in three places, through different ops.
        var rng = SplitMix64(seed: 1102)
        expectGradientsMatch([rng.normal([2, 3])]) { tape, v in
            tape.add(tape.multiply(v[0], tape.sigmoid(v[0])), tape.silu(v[0]))
        }
    }

    @Test func unusedParameterGetsZeros() {
        let tape = Tape()
        let used = tape.parameter(Tensor(shape: [2], scalars: [1, 2]))
        let unused = tape.parameter(Tensor(shape: [3, 2], repeating: 7))
        let gradients = tape.gradients(of: tape.sum(used))
        #expect(gradients[unused] == Tensor.zeros([3, 2]))
        #expect(gradients[used] == Tensor(shape: [2], repeating: 1))
        // A parameter created after the gradients were taken, and a constant, also read as zeros.
        let later = tape.parameter(Tensor(shape: [4], repeating: 1))
        #expect(gradients[later] == Tensor.zeros([4]))
        #expect(gradients[Variable(constant: Tensor(shape: [2, 2], repeating: 3))] == Tensor.zeros([2, 2]))
    }

    @Test func aParameterAsTheLossHasGradientOne() {
        let tape = Tape()
        let p = tape.parameter(Tensor(shape: [1], scalars: [3]))
        #expect(tape.gradients(of: p)[p] == Tensor(shape: [1], scalars: [1]))
    }

    @Test func gradientsCanBeTakenTwiceAndFromAnIntermediateLoss() {
        var rng = SplitMix64(seed: 1103)
        let tape = Tape()
        let p = tape.parameter(rng.normal([4]))
        let first = tape.sum(tape.scale(p, by: 3))
        let second = tape.sum(tape.multiply(p, p))
        let once = tape.gradients(of: second)[p]
        #expect(tape.gradients(of: second)[p] == once)
        // The later nodes of `second` do not leak into the gradient of `first`.
        #expect(tape.gradients(of: first)[p] == Tensor(shape: [4], repeating: 3))
    }

    @Test func inferenceValuesEqualRecordedValues() {
        // The same function on constants and on parameters computes bit-identical values.
        var rng = SplitMix64(seed: 1104)
        let x = rng.normal([3, 8]), w = rng.normal([8, 8]), g = rng.normal([8])
        func f(_ tape: Tape, _ x: Variable) -> Variable {
            let h = tape.rmsNorm(x, weight: Variable(constant: g), epsilon: 1e-6)
            return tape.logSoftmax(tape.swiGLU(gate: tape.linear(h, weight: Variable(constant: w)), up: h))
        }
        let constant = f(Tape(), Variable(constant: x))
        let tape = Tape()
        let recorded = f(tape, tape.parameter(x))
        #expect(recorded.requiresGradient && constant.value == recorded.value)
    }
}
