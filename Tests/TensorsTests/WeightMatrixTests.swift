// Shapes: x (N, I), weight (O, I) stored as Float32, BFloat16 or Float16 → y (N, O); dy (N, O) → dx (N, I).
import Foundation
import Testing
@testable import Tensors

@Suite struct WeightMatrixTests {
    /// (N, I, O): inputs that are and are not multiples of the 8-wide vectors, row counts on both
    /// sides of the matrix–vector limit (8) and above 8 for the chunked kernel, output counts that
    /// leave remainders for the 8-, 4- and 2-row groups, and blocks of the GEMM path.
    static let shapes: [(n: Int, i: Int, o: Int)] = [
        (1, 16, 8), (1, 37, 13), (2, 64, 11), (3, 9, 7), (4, 23, 5), (5, 8, 3), (7, 31, 9),
        (8, 40, 17), (9, 17, 6), (17, 33, 19), (1, 1, 1), (6, 7, 1), (12, 1, 4),
    ]
    static let cases: [(shape: Int, type: WeightStorageType, path: WeightKernelPath)] =
        shapes.indices.flatMap { s in
            WeightStorageType.elementTypes.flatMap { t in WeightKernelPath.allCases.map { (s, t, $0) } }
        }

    /// A seeded (O, I) matrix in `type`; its stored (rounded) values define the expected results.
    static func matrix(_ o: Int, _ i: Int, _ type: WeightStorageType, seed: UInt64) -> WeightMatrix {
        var rng = SplitMix64(seed: seed)
        return WeightMatrix(rng.normal([o, i])).converted(to: type)
    }

    @Test(arguments: 0..<cases.count)
    func forwardAndBackwardMatchNaive(caseIndex: Int) {
        let (shapeIndex, type, path) = Self.cases[caseIndex]
        let (n, i, o) = Self.shapes[shapeIndex]
        var rng = SplitMix64(seed: UInt64(300 + shapeIndex))
        let w = Self.matrix(o, i, type, seed: UInt64(400 + shapeIndex))
        let x = rng.normal([n, i]).scalars, dy = rng.normal([n, o]).scalars
        #expect(w.storageType == type && w.shape == [o, i])

        var y = [Float](repeating: .nan, count: n * o)
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: path) }
        }
        let naive = weightLinearForwardNaive(x, w, rows: n)
        #expect(maxAbsDifference(y, naive) < 1e-4, "forward \(type) \(path) (N \(n), I \(i), O \(o))")

        // dx accumulates: start from ones and expect ones + dy · w.
        var dx = [Float](repeating: 1, count: n * i)
        dx.withUnsafeMutableBufferPointer { dxp in
            dy.withUnsafeBufferPointer { dyp in weightLinearBackward(dx: dxp.baseAddress!, dy: dyp.baseAddress!, w, rows: n, path: path) }
        }
        let backward = weightLinearBackwardNaive(dy, w, rows: n).map { $0 + 1 }
        #expect(maxAbsDifference(dx, backward) < 1e-4, "backward \(type) \(path) (N \(n), I \(i), O \(o))")

        // The naive loops themselves against Double sums over the stored values.
        let stored = w.floats()
        for r in 0..<n {
            for c in 0..<o {
                var s = 0.0
                for k in 0..<i { s += Double(x[r * i + k]) * Double(stored[c * i + k]) }
                #expect(abs(Double(naive[r * o + c]) - s) < 1e-4)
            }
            for k in 0..<i {
                var s = 0.0
                for c in 0..<o { s += Double(dy[r * o + c]) * Double(stored[c * i + k]) }
                #expect(abs(Double(backward[r * i + k] - 1) - s) < 1e-4)
            }
        }
    }

    /// Large enough for several GEMM blocks (block rows = 2¹⁷ / I) with a ragged last block.
    @Test(arguments: [WeightStorageType.bfloat16, .float16])
    func blockedPathSpansSeveralBlocks(type: WeightStorageType) {
        let n = 11, i = 1000, o = 300
        var rng = SplitMix64(seed: 77)
        let w = Self.matrix(o, i, type, seed: 78)
        #expect(WeightKernels.blockRows(w) < o && o % WeightKernels.blockRows(w) != 0)
        let x = rng.normal([n, i]).scalars, dy = rng.normal([n, o]).scalars
        let tape = Tape()
        let xv = tape.parameter(Tensor(shape: [n, i], scalars: x))
        let y = tape.linear(xv, weight: w, path: .blockedGEMM)
        #expect(maxAbsDifference(y.value.scalars, weightLinearForwardNaive(x, w, rows: n)) < 1e-3)
        let loss = tape.sum(tape.multiply(y, Variable(constant: Tensor(shape: [n, o], scalars: dy))))
        let dx = tape.gradients(of: loss)[xv]
        #expect(maxAbsDifference(dx.scalars, weightLinearBackwardNaive(dy, w, rows: n)) < 1e-3)
    }

    /// The matrix–vector kernel split over threads writes every column once, whatever the split.
    @Test(arguments: [1, 2, 3, 5])
    func threadedMatrixVectorMatchesNaive(threads: Int) {
        let n = 3, i = 45, o = 203
        var rng = SplitMix64(seed: 90)
        let w = Self.matrix(o, i, .bfloat16, seed: 91), x = rng.normal([n, i]).scalars
        var y = [Float](repeating: .nan, count: n * o)
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in
                weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: .matrixVector, threads: threads)
            }
        }
        #expect(maxAbsDifference(y, weightLinearForwardNaive(x, w, rows: n)) < 1e-4)
        #expect(WeightKernels.matrixVectorThreads(Self.matrix(8, 8, .float16, seed: 92)) == 1)
    }

    @Test(arguments: WeightStorageType.elementTypes)
    func tapeLinearGradientsMatchFiniteDifferences(type: WeightStorageType) {
        var rng = SplitMix64(seed: 500)
        let w = Self.matrix(6, 13, type, seed: 501)
        let b = rng.normal([6])
        for shape in [[2, 13], [2, 5, 13]] {
            let x = rng.normal(shape)
            expectGradientsMatch([x]) { tape, v in tape.linear(v[0], weight: w) }
            expectGradientsMatch([x, b], names: ["x", "bias"]) { tape, v in tape.linear(v[0], weight: w, bias: v[1]) }
        }
    }

    @Test func float32StorageIsBitIdenticalToTheTensorLinear() {
        var rng = SplitMix64(seed: 510)
        let wt = rng.normal([19, 33]), x = rng.normal([5, 33]), b = rng.normal([19])
        let tape = Tape()
        let a = tape.linear(Variable(constant: x), weight: WeightMatrix(wt), bias: Variable(constant: b))
        let reference = tape.linear(Variable(constant: x), weight: Variable(constant: wt), bias: Variable(constant: b))
        #expect(a.value == reference.value)
        #expect(!a.requiresGradient)
    }

    @Test func leadingDimensionsAreKept() {
        var rng = SplitMix64(seed: 520)
        let w = Self.matrix(4, 9, .bfloat16, seed: 521), x = rng.normal([2, 3, 9])
        let y = Tape().linear(Variable(constant: x), weight: w)
        #expect(y.shape == [2, 3, 4])
        #expect(maxAbsDifference(y.value.scalars, weightLinearForwardNaive(x.scalars, w, rows: 6)) < 1e-4)
    }

    @Test func halfPrecisionEncodingRoundsToNearestEven() {
        #expect(bfloat16Bits(1) == 0x3F80)
        #expect(bfloat16Bits(-2) == 0xC000)
        #expect(bfloat16Bits(1 + 0x1p-8) == 0x3F80)        // a tie rounds to the even mantissa
        #expect(bfloat16Bits(1 + 3 * 0x1p-8) == 0x3F82)    // a tie rounds up to the even mantissa
        #expect(bfloat16Bits(1 + 0x1p-8 + 0x1p-12) == 0x3F81)
        #expect(bfloat16Bits(.infinity) == 0x7F80)
        #expect(floatFromBFloat16(bfloat16Bits(.nan)).isNaN)
        #expect(floatFromBFloat16(0x4049) == 3.140625)
        #expect(float16Bits(1) == 0x3C00 && floatFromFloat16(0xC000) == -2)
        #expect(floatFromFloat16(0x0001) == 0x1p-24)        // subnormal
        #expect(floatFromFloat16(0x7C00) == .infinity)
        // The vector conversion agrees with the scalar one on every 16-bit pattern.
        let all = (0...0xFFFF).map { UInt16($0) }
        for type in [WeightStorageType.bfloat16, .float16] {
            let m = WeightMatrix(outputs: 256, inputs: 256, storageType: type, bits: all)
            let scalar = all.map { type == .bfloat16 ? floatFromBFloat16($0) : floatFromFloat16($0) }
            #expect(zip(m.floats(), scalar).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
        }
    }

    @Test(arguments: [WeightStorageType.bfloat16, .float16])
    func conversionKeepsValuesWithinPrecision(type: WeightStorageType) {
        var rng = SplitMix64(seed: 530)
        let t = rng.normal([7, 21])
        let m = WeightMatrix(t).converted(to: type)
        #expect(m.byteCount == 7 * 21 * 2)
        let relative: Float = type == .bfloat16 ? 0x1p-8 : 0x1p-11
        #expect(zip(m.floats(), t.scalars).allSatisfy { abs($0 - $1) <= relative * abs($1) })
        #expect(m.row(3) == Array(m.floats()[(3 * 21)..<(4 * 21)]))
        #expect(m.element(6, 20) == m.floats()[6 * 21 + 20])
        #expect(m.converted(to: .float32).tensor().scalars == m.floats())
    }

    @Test func fillingInitializerWritesFloat32Storage() {
        let m = WeightMatrix(outputs: 2, inputs: 3) { p in for k in 0..<6 { p[k] = Float(k) / 4 } }
        #expect(m.storageType == .float32 && !m.isView && m.floats() == [0, 0.25, 0.5, 0.75, 1, 1.25])
    }

    final class Owner {
        let bytes: UnsafeMutableRawBufferPointer
        init(count: Int) { bytes = .allocate(byteCount: count, alignment: 16) }
        deinit { bytes.deallocate() }
    }

    @Test func viewKeepsItsOwnerAlive() {
        let bits: [UInt16] = (0..<12).map { bfloat16Bits(Float($0) - 5.5) }
        weak var weakOwner: Owner?
        var matrix: WeightMatrix?
        do {
            let owner = Owner(count: 2 * bits.count + 1)
            bits.withUnsafeBytes { owner.bytes.copyMemory(from: $0) }
            weakOwner = owner
            matrix = WeightMatrix(outputs: 3, inputs: 4, storageType: .bfloat16,
                                  bytes: UnsafeRawBufferPointer(rebasing: owner.bytes[0..<24]), owner: owner)
            // Misaligned bytes are copied, not viewed.
            let shifted = WeightMatrix(outputs: 1, inputs: 1, storageType: .float16,
                                       bytes: UnsafeRawBufferPointer(rebasing: owner.bytes[1..<3]), owner: owner)
            #expect(!shifted.isView)
        }
        #expect(weakOwner != nil, "the view must keep its owner alive")
        #expect(matrix?.isView == true)
        #expect(matrix?.floats() == (0..<12).map { Float($0) - 5.5 })
        matrix = nil
        #expect(weakOwner == nil, "the owner must be released with the last view")
    }

    @Test(arguments: WeightStorageType.elementTypes)
    func embeddingRowsMatchTheTensorEmbedding(type: WeightStorageType) {
        let table = Self.matrix(10, 6, type, seed: 540)
        let ids = [3, 0, 9, 3]
        let tape = Tape()
        let a = tape.embedding(table, ids: ids, scale: 2.5)
        let b = tape.embedding(Variable(constant: table.tensor()), ids: ids, scale: 2.5)
        #expect(a.value == b.value)
        #expect(a.shape == [4, 6])
    }
}
