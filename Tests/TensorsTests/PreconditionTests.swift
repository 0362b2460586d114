// Programmer errors trap with a precondition instead of reading or writing out of bounds.
// Exit tests run each body in a child process. (The library modules are compiled -O in every
// configuration, Package.swift; -O keeps these checks, only -Ounchecked would remove them, and no
// configuration here uses it.)
import Testing
@testable import Tensors

@Suite struct PreconditionTests {
    @Test func mismatchedShapesTrap() async {
        await #expect(processExitsWith: .failure) {
            let tape = Tape()
            _ = tape.add(Variable(constant: Tensor.zeros([2, 3])), Variable(constant: Tensor.zeros([3, 2])))
        }
        await #expect(processExitsWith: .failure) {
            _ = Tape().linear(Variable(constant: Tensor.zeros([2, 3])), weight: Variable(constant: Tensor.zeros([4, 2])))
        }
        await #expect(processExitsWith: .failure) {
            _ = Tape().rmsNorm(Variable(constant: Tensor.zeros([2, 3])), weight: Variable(constant: Tensor.zeros([4])), epsilon: 1e-6)
        }
    }

    @Test func outOfRangeIndicesTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = Tape().embedding(Variable(constant: Tensor.zeros([4, 2])), ids: [1, 4])
        }
        await #expect(processExitsWith: .failure) {
            _ = Tape().crossEntropy(logits: Variable(constant: Tensor.zeros([1, 3])), targets: [3])
        }
        await #expect(processExitsWith: .failure) {
            _ = Tape().rows(Variable(constant: Tensor.zeros([2, 2])), [2])
        }
        await #expect(processExitsWith: .failure) {
            _ = Tape().replacingRows(Variable(constant: Tensor.zeros([3, 2])), [1, 1], with: Variable(constant: Tensor.zeros([2, 2])))
        }
    }

    @Test func attentionRejectsInconsistentGeometry() async {
        await #expect(processExitsWith: .failure) {
            _ = AttentionGeometry(heads: 3, keyValueHeads: 2, headDimensions: 4, scale: 0.5)
        }
        await #expect(processExitsWith: .failure) {
            _ = AttentionGeometry(heads: 2, keyValueHeads: 2, headDimensions: 4, scale: 0.5, window: 0)
        }
        await #expect(processExitsWith: .failure) {
            // q is (1, 8) but H·Dh = 2·3.
            let g = AttentionGeometry(heads: 2, keyValueHeads: 1, headDimensions: 3, scale: 0.5)
            _ = Tape().attention(query: Variable(constant: Tensor.zeros([1, 8])), key: Variable(constant: Tensor.zeros([1, 3])),
                                 value: Variable(constant: Tensor.zeros([1, 3])),
                                 sequences: [AttentionSequence(rows: 0..<1, keys: [0, 0, 0], values: [0, 0, 0])], geometry: g)
        }
        await #expect(processExitsWith: .failure) {
            // Two new tokens but one key.
            let g = AttentionGeometry(heads: 1, keyValueHeads: 1, headDimensions: 1, scale: 1)
            _ = Tape().attention(query: Variable(constant: Tensor.zeros([2, 1])), key: Variable(constant: Tensor.zeros([2, 1])),
                                 value: Variable(constant: Tensor.zeros([2, 1])),
                                 sequences: [AttentionSequence(rows: 0..<2, keys: [0], values: [0])], geometry: g)
        }
    }

    @Test func attentionRejectsRowsAndKeysThatDoNotFit() async {
        // The kernels use raw pointers: a sequence reaching past q's rows, k and v with other row
        // counts than q, or keys that are not whole rows must trap before any of them is read.
        await #expect(processExitsWith: .failure) {
            let g = AttentionGeometry(heads: 1, keyValueHeads: 1, headDimensions: 2, scale: 1)
            _ = Tape().attention(query: Variable(constant: Tensor.zeros([1, 2])), key: Variable(constant: Tensor.zeros([1, 2])),
                                 value: Variable(constant: Tensor.zeros([1, 2])),
                                 sequences: [AttentionSequence(rows: 0..<2, keys: [0, 0, 0, 0], values: [0, 0, 0, 0])], geometry: g)
        }
        await #expect(processExitsWith: .failure) {
            let g = AttentionGeometry(heads: 1, keyValueHeads: 1, headDimensions: 2, scale: 1)
            _ = Tape().attention(query: Variable(constant: Tensor.zeros([2, 2])), key: Variable(constant: Tensor.zeros([1, 2])),
                                 value: Variable(constant: Tensor.zeros([1, 2])),
                                 sequences: [AttentionSequence(rows: 0..<2, keys: [0, 0, 0, 0], values: [0, 0, 0, 0])], geometry: g)
        }
        await #expect(processExitsWith: .failure) {
            // Three key scalars for rows of two: previously read as one key, silently.
            let g = AttentionGeometry(heads: 1, keyValueHeads: 1, headDimensions: 2, scale: 1)
            _ = Tape().attention(query: Variable(constant: Tensor.zeros([1, 2])), key: Variable(constant: Tensor.zeros([1, 2])),
                                 value: Variable(constant: Tensor.zeros([1, 2])),
                                 sequences: [AttentionSequence(rows: 0..<1, keys: [0, 0, 0], values: [0, 0, 0])], geometry: g)
        }
    }

    @Test func gradientsNeedAScalarLoss() async {
        await #expect(processExitsWith: .failure) {
            let tape = Tape()
            _ = tape.gradients(of: tape.parameter(Tensor.zeros([2])))
        }
    }

    @Test func adamRejectsMismatchedGradients() async {
        await #expect(processExitsWith: .failure) {
            var adam = Adam(learningRate: 0.1)
            var parameters = [Tensor.zeros([2])]
            adam.update(&parameters, gradients: [Tensor.zeros([3])])
        }
    }

    @Test func adamRejectsParametersThatChangeBetweenSteps() async {
        // Fewer parameters than at the first step: the moments of one would silently update another.
        await #expect(processExitsWith: .failure) {
            var adam = Adam(learningRate: 0.1)
            var two = [Tensor.zeros([2]), Tensor.zeros([2])]
            adam.update(&two, gradients: [Tensor.zeros([2]), Tensor.zeros([2])])
            var one = [Tensor.zeros([2])]
            adam.update(&one, gradients: [Tensor.zeros([2])])
        }
        // A smaller parameter would silently reuse a prefix of the larger one's moments.
        await #expect(processExitsWith: .failure) {
            var adam = Adam(learningRate: 0.1)
            var large = [Tensor.zeros([3])]
            adam.update(&large, gradients: [Tensor.zeros([3])])
            var small = [Tensor.zeros([2])]
            adam.update(&small, gradients: [Tensor.zeros([2])])
        }
    }
}
