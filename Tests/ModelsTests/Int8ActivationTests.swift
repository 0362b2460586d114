// Shapes: x (N, I) rounded to int8 per 32 elements (G = I / 32 groups), weight (O, I) in GGUF
// blocks → y (N, O).
import Foundation
import Testing
import Models
@testable import Tensors
import TestSupport

/// The int8-activation block kernels (`tvb_matvecq8`): the vector quantiser equals its scalar
/// reference bit for bit, the fast product equals the naive one up to summation order, and both
/// equal the dequantised weights times the rounded activations (a Double dot product).
@Suite struct Int8ActivationTests {
    typealias Blocks = QuantizedWeightTests

    /// The activations as the kernels see them: s · q per group, in Double.
    static func rounded(_ x: [Float], rows n: Int, inputs i: Int) -> [Double] {
        let r = quantizeActivationsQ8(x, rows: n, inputs: i)
        return r.q.indices.map { Double(r.q[$0]) * Double(r.scale[$0 / 32]) }
    }

    @Test func quantiserEqualsReferenceAndRoundsToNearest() {
        guard ComputePrecision.int8.isSupported else { return }
        let n = 3, i = 96
        var x = Blocks.random(n * i, seed: 41)
        x[5] = 40  // one outlier sets its group's scale
        for k in 64..<96 { x[k] = 0 }  // an all-zero group: scale 0, levels 0
        let fast = quantizeActivationsQ8(x, rows: n, inputs: i), naive = quantizeActivationsQ8(x, rows: n, inputs: i, naive: true)
        #expect(fast.q == naive.q)
        #expect(fast.scale.map(\.bitPattern) == naive.scale.map(\.bitPattern))
        #expect(fast.halfSums.map(\.bitPattern) == naive.halfSums.map(\.bitPattern))
        #expect(fast.scale[2] == 0 && fast.q[64..<96].allSatisfy { $0 == 0 })
        for k in x.indices {
            let s = fast.scale[k / 32]
            #expect(abs(Float(fast.q[k]) * s - x[k]) <= s / 2 * 1.0001, "element \(k)")
        }
        #expect(fast.q[5] == 127)
    }

    /// Every block type, batches 1…9, one and two threads: fast against naive, and against the
    /// Double product of the dequantised weights with the rounded activations.
    @Test(arguments: Blocks.types.indices)
    func productEqualsRoundedActivationsTimesDequantisedWeights(index: Int) {
        guard ComputePrecision.int8.isSupported else { return }
        let type = Blocks.types[index].storage
        let o = 37, blocksPerRow = type.blockElements == 32 ? 6 : 2
        let w = Blocks.matrix(type, outputs: o, blocksPerRow: blocksPerRow, seed: UInt64(500 + index)).withInt8Activations()
        #expect(w.computesWithInt8Activations)
        let i = w.inputs, dense = w.floats()
        for n in 1...9 {
            let x = Blocks.random(n * i, seed: UInt64(600 + n)), xr = Self.rounded(x, rows: n, inputs: i)
            let exact = Blocks.product(xr, dense, rows: n, inputs: i, outputs: o)
            let naive = int8ActivationLinearForwardNaive(x, w, rows: n)
            #expect(Blocks.scaledError(naive, exact) < 1e-5, "\(type) naive, N \(n)")
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: n * o)
                y.withUnsafeMutableBufferPointer { yp in
                    x.withUnsafeBufferPointer { xp in
                        weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: .matrixVector, threads: threads)
                    }
                }
                #expect(Blocks.scaledError(y, exact) < 1e-5, "\(type) fast, N \(n), \(threads) threads")
                #expect(Blocks.scaledError(y, naive.map(Double.init)) < 1e-5, "\(type) fast vs naive, N \(n)")
            }
        }
    }

    /// Above the matrix–vector row limit, and in the backward, the activations stay float32.
    @Test func largeProductsAndBackwardStayFloat32() {
        guard ComputePrecision.int8.isSupported else { return }
        let plain = Blocks.matrix(.q4_1, outputs: 21, blocksPerRow: 4, seed: 77), w = plain.withInt8Activations()
        let n = 12, tape = Tape()
        let x = tape.parameter(Tensor(shape: [n, w.inputs], scalars: Blocks.random(n * w.inputs, seed: 78)))
        let y = tape.linear(x, weight: w), reference = tape.linear(x, weight: plain)
        #expect(y.value.scalars == reference.value.scalars)
        let dx = tape.gradients(of: tape.sum(y))[x], dxReference = tape.gradients(of: tape.sum(reference))[x]
        #expect(dx.scalars == dxReference.scalars)
        // Float weights are left as they are.
        #expect(!WeightMatrix(Tensor(shape: [2, 32], repeating: 1)).withInt8Activations().computesWithInt8Activations)
    }
}
