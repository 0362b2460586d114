// Shapes: x (N, I), weight (O, I) in GGUF blocks → y (N, O); dy (N, O) → dx (N, I).
import CKernels
import Foundation
import Testing
import ModelFormats
import Models
@testable import Tensors
import TestSupport

/// The block kernels against ModelFormats' dequantisers (the layouts' definition), against their
/// scalar reference, and against a Double dot product over the dequantised weights.
@Suite struct QuantizedWeightTests {
    static let types: [(storage: WeightStorageType, ggml: GGMLType)] = [
        (.q4_0, .q4_0), (.q4_1, .q4_1), (.q5_0, .q5_0), (.q8_0, .q8_0), (.q4_K, .q4_K), (.q5_K, .q5_K), (.q6_K, .q6_K),
    ]

    /// `blocks` random blocks (see `WeightStorageType.randomBlocks`), seeded.
    static func randomBlocks(_ type: WeightStorageType, count blocks: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return type.randomBlocks(count: blocks, using: &rng)
    }

    static func matrix(_ type: WeightStorageType, outputs o: Int, blocksPerRow: Int, seed: UInt64) -> WeightMatrix {
        let bytes = randomBlocks(type, count: o * blocksPerRow, seed: seed)
        return WeightMatrix(outputs: o, inputs: blocksPerRow * type.blockElements, storageType: type, blocks: bytes)
    }

    /// ModelFormats' decoding of the same bytes.
    static func reference(_ bytes: [UInt8], _ type: GGMLType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { type.dequantize($0, elementCount: count, into: out.baseAddress!) }
            initialized = count
        }
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(rng.nextNormal()) }
    }

    /// y (N, O) = x (N, I) · wᵀ in Double, w (O, I) the dequantised weights.
    static func product(_ x: [Double], _ w: [Float], rows n: Int, inputs i: Int, outputs o: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * o)
        for r in 0..<n {
            for c in 0..<o {
                for k in 0..<i { y[r * o + c] += x[r * i + k] * Double(w[c * i + k]) }
            }
        }
        return y
    }

    /// max |a − b| / (1 + max |b|): the sums here reach O(10), so 1e-5 is a few ulps of float32.
    static func scaledError(_ a: [Float], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "scaledError: \(a.count) vs \(b.count) values")
        let scale = 1 + (b.map(abs).max() ?? 0)
        return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
    }

    @Test(arguments: types.indices)
    func decodingEqualsModelFormatsBitForBit(index: Int) {
        let (type, ggml) = Self.types[index]
        #expect(type.blockElements == ggml.blockSize && type.blockBytes == ggml.bytesPerBlock)
        let o = 5, blocks = 3
        let bytes = Self.randomBlocks(type, count: o * blocks, seed: UInt64(10 + index))
        let w = WeightMatrix(outputs: o, inputs: blocks * type.blockElements, storageType: type, blocks: bytes)
        let expected = Self.reference(bytes, ggml, count: w.count)
        #expect(w.floats().map(\.bitPattern) == expected.map(\.bitPattern), "\(type)")
        #expect(w.row(3).map(\.bitPattern) == Array(expected[(3 * w.inputs)..<(4 * w.inputs)]).map(\.bitPattern))
        for (r, c) in [(0, 0), (4, w.inputs - 1), (2, 33), (1, w.inputs / 2 + 7)] {
            #expect(w.element(r, c).bitPattern == expected[r * w.inputs + c].bitPattern, "\(type) (\(r), \(c))")
        }
        #expect(w.byteCount == bytes.count && w.storageType.isBlockQuantized && !w.isView)
        #expect(w.converted(to: .float32).floats() == w.floats())
    }

    /// Batches 1…9 (both sides of the 8-row kernel), output counts that are no multiple of any
    /// split, every kernel path; forward and the accumulating backward.
    @Test(arguments: types.indices)
    func kernelsMatchReferenceAndDequantisedProduct(index: Int) {
        let type = Self.types[index].storage
        let o = 19, blocksPerRow = type.blockElements == 32 ? 5 : 2
        let w = Self.matrix(type, outputs: o, blocksPerRow: blocksPerRow, seed: UInt64(100 + index))
        let i = w.inputs, dense = w.floats()
        // Row counts on both sides of the 8-row matrix–vector groups and of the 32-row limit
        // below which the forward reads the blocks in place.
        for n in Array(1...9) + [17, 32, 33] {
            let x = Self.random(n * i, seed: UInt64(200 + n)), dy = Self.random(n * o, seed: UInt64(300 + n))
            var exact = [Double](repeating: 0, count: n * o), exactDx = [Double](repeating: 1, count: n * i)
            for r in 0..<n {
                for c in 0..<o {
                    for k in 0..<i {
                        exact[r * o + c] += Double(x[r * i + k]) * Double(dense[c * i + k])
                        exactDx[r * i + k] += Double(dy[r * o + c]) * Double(dense[c * i + k])
                    }
                }
            }
            #expect(Self.scaledError(weightLinearForwardBlocksNaive(x, w, rows: n), exact) < 1e-5, "\(type) naive, N \(n)")
            for path in WeightKernelPath.allCases {
                var y = [Float](repeating: .nan, count: n * o)
                y.withUnsafeMutableBufferPointer { yp in
                    x.withUnsafeBufferPointer { xp in weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: path) }
                }
                #expect(Self.scaledError(y, exact) < 1e-5, "\(type) forward \(path), N \(n)")
                var dx = [Float](repeating: 1, count: n * i)
                dx.withUnsafeMutableBufferPointer { dxp in
                    dy.withUnsafeBufferPointer { dyp in weightLinearBackward(dx: dxp.baseAddress!, dy: dyp.baseAddress!, w, rows: n, path: path) }
                }
                #expect(Self.scaledError(dx, exactDx) < 1e-5, "\(type) backward \(path), N \(n)")
            }
        }
    }

    /// Both kernels behind `tvb_matvecq`, called directly: the AVX2 one for every type and, where
    /// the CPU has AVX-512, the table-lookup one for the types it takes; each against the Double
    /// product of the dequantised weights, batches 1…9.
    @Test(arguments: types.indices)
    func avx2AndAVX512KernelsMatchTheDequantisedProduct(index: Int) {
        let type = Self.types[index].storage, kind = type.kernelKind
        let o = 23, blocksPerRow = type.blockElements == 32 ? 7 : 2
        let w = Self.matrix(type, outputs: o, blocksPerRow: blocksPerRow, seed: UInt64(700 + index))
        let i = w.inputs, dense = w.floats()
        let handles = tvb_matvecq512_handles(kind) != 0
        #expect(handles == (type != .q5_K))
        var kernels: [(name: String, run: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<UInt8>, Int) -> Void)] = [
            ("avx2", { y, x, blocks, n in tvb_matvecq_avx2(y, o, x, i, blocks, i, 0, o, n, kind) }),
        ]
        if handles && tvb_cpu_has_avx512_matvecq() != 0 {
            kernels.append(("avx512", { y, x, blocks, n in tvb_matvecq512(y, o, x, i, blocks, i, 0, o, n, kind) }))
        }
        for n in 1...9 {
            let x = Self.random(n * i, seed: UInt64(800 + n))
            let exact = Self.product(x.map(Double.init), dense, rows: n, inputs: i, outputs: o)
            for kernel in kernels {
                var y = [Float](repeating: .nan, count: n * o)
                y.withUnsafeMutableBufferPointer { yp in
                    x.withUnsafeBufferPointer { xp in
                        w.buffer.base.withMemoryRebound(to: UInt8.self, capacity: w.byteCount) { kernel.run(yp.baseAddress!, xp.baseAddress!, $0, n) }
                    }
                }
                #expect(Self.scaledError(y, exact) < 1e-5, "\(type) \(kernel.name), N \(n)")
            }
        }
    }

    /// Rows of 520 groups of 32 (16,640 inputs): the AVX2 kernel keeps the group sums of at most
    /// 512 groups and takes longer rows in two passes, the second adding to y.
    @Test(arguments: types.indices)
    func avx2KernelTakesLongRowsInPasses(index: Int) {
        let type = Self.types[index].storage, kind = type.kernelKind
        let o = 3, w = Self.matrix(type, outputs: o, blocksPerRow: 520 * 32 / type.blockElements, seed: UInt64(900 + index))
        let i = w.inputs, dense = w.floats()
        for n in [1, 3, 9] {
            let x = Self.random(n * i, seed: UInt64(950 + n))
            let exact = Self.product(x.map(Double.init), dense, rows: n, inputs: i, outputs: o)
            var y = [Float](repeating: .nan, count: n * o)
            y.withUnsafeMutableBufferPointer { yp in
                x.withUnsafeBufferPointer { xp in
                    w.buffer.base.withMemoryRebound(to: UInt8.self, capacity: w.byteCount) {
                        tvb_matvecq_avx2(yp.baseAddress!, o, xp.baseAddress!, i, $0, i, 0, o, n, kind)
                    }
                }
            }
            #expect(Self.scaledError(y, exact) < 1e-5, "\(type), N \(n): \(Self.scaledError(y, exact))")
        }
    }

    /// Column ranges split over threads write every output once, with the single-thread result.
    @Test(arguments: [2, 3, 5])
    func threadedKernelMatchesOneThread(threads: Int) {
        let w = Self.matrix(.q4_K, outputs: 203, blocksPerRow: 2, seed: 7)
        let n = 3, x = Self.random(n * w.inputs, seed: 8)
        func product(threads: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: n * w.outputs)
            y.withUnsafeMutableBufferPointer { yp in
                x.withUnsafeBufferPointer { xp in
                    weightLinearForward(yp.baseAddress!, xp.baseAddress!, w, rows: n, path: .matrixVector, threads: threads)
                }
            }
            return y
        }
        #expect(product(threads: threads) == product(threads: 1))
    }

    /// The backward kernel over column-group ranges (as threads split it) writes each column once,
    /// with the bits of one call over all groups: every element sums over the weight rows in order.
    @Test(arguments: types.indices)
    func transposedKernelSplitByColumnGroupsMatchesOneCall(index: Int) {
        let type = Self.types[index].storage, kind = type.kernelKind
        let w = Self.matrix(type, outputs: 29, blocksPerRow: 512 / type.blockElements, seed: UInt64(60 + index))
        let n = 3, i = w.inputs, o = w.outputs, groups = i / 32
        let dy = Self.random(n * o, seed: 61)
        func backward(_ ranges: [Range<Int>]) -> [Float] {
            var dx = [Float](repeating: 0.5, count: n * i)
            dx.withUnsafeMutableBufferPointer { dxp in
                dy.withUnsafeBufferPointer { dyp in
                    w.buffer.base.withMemoryRebound(to: UInt8.self, capacity: w.byteCount) { blocks in
                        for range in ranges {
                            tvb_matvecq_transposed(dxp.baseAddress!, i, dyp.baseAddress!, o, blocks, i, o, range.lowerBound, range.upperBound, n, kind)
                        }
                    }
                }
            }
            return dx
        }
        let whole = backward([0..<groups])
        #expect(backward([0..<3, 3..<7, 7..<groups]).map(\.bitPattern) == whole.map(\.bitPattern), "\(type)")
        #expect(backward([]) == [Float](repeating: 0.5, count: n * i))
    }

    /// Large enough for several decoded tiles of the GEMM path (2²⁰ elements each), the last ragged.
    @Test func blockedPathSpansSeveralTiles() {
        let w = Self.matrix(.q8_0, outputs: 2100, blocksPerRow: 16, seed: 11), dense = w.converted(to: .float32)
        #expect(WeightKernels.blockRows(w) < w.outputs && w.outputs % WeightKernels.blockRows(w) != 0)
        let n = 11, tape = Tape()
        let x = tape.parameter(Tensor(shape: [n, w.inputs], scalars: Self.random(n * w.inputs, seed: 12)))
        let y = tape.linear(x, weight: w, path: .blockedGEMM), reference = tape.linear(x, weight: dense)
        #expect(relativeError(y.value.scalars, reference.value.scalars) < 1e-6)
        let dy = Variable(constant: Tensor(shape: [n, w.outputs], scalars: Self.random(n * w.outputs, seed: 13)))
        let dx = tape.gradients(of: tape.sum(tape.multiply(y, dy)))[x]
        let dxReference = tape.gradients(of: tape.sum(tape.multiply(reference, dy)))[x]
        #expect(relativeError(dx.scalars, dxReference.scalars) < 1e-6)
    }

    /// A Float32 matrix that keeps its blocks: forward products up to the block row limit (32) and
    /// backward products up to the matrix–vector limit (8) are the block kernels' bit for bit,
    /// larger ones sgemm's on the Float32 copy.
    @Test(arguments: types.indices)
    func float32ReadingBlocksSplitsAtTheRowLimit(index: Int) {
        let type = Self.types[index].storage
        let blocks = Self.matrix(type, outputs: 37, blocksPerRow: 256 / type.blockElements, seed: UInt64(70 + index))
        let plain = blocks.converted(to: .float32), both = plain.readingBlocksInSmallProducts(blocks)
        #expect(both.storageType == .float32 && both.blocksForSmallProducts?.storageType == type)
        #expect(plain.blocksForSmallProducts == nil && both.floats() == plain.floats())
        let limit = WeightKernels.blockMatrixVectorRowLimit
        for n in [1, 2, 8, 9, limit, limit + 1] {
            let tape = Tape()
            let x = tape.parameter(Tensor(shape: [n, blocks.inputs], scalars: Self.random(n * blocks.inputs, seed: UInt64(80 + n))))
            let y = tape.linear(x, weight: both)
            let expected = tape.linear(x, weight: n <= limit ? blocks : plain)
            #expect(y.value.scalars.map(\.bitPattern) == expected.value.scalars.map(\.bitPattern), "\(type) N \(n)")
            let forced = tape.linear(x, weight: both, path: .blockedGEMM), sgemm = tape.linear(x, weight: plain)
            #expect(forced.value.scalars.map(\.bitPattern) == sgemm.value.scalars.map(\.bitPattern), "\(type) N \(n), sgemm asked for")
            let dy = Variable(constant: Tensor(shape: [n, blocks.outputs], scalars: Self.random(n * blocks.outputs, seed: UInt64(90 + n))))
            // The backward reads the blocks up to the matrix–vector row limit, as the block matrix
            // does; above it, sgemm on the Float32 copy.
            let dx = tape.gradients(of: tape.sum(tape.multiply(y, dy)))[x]
            let smallBackward = n <= WeightKernels.matrixVectorRowLimit
            let backwardReference = tape.linear(x, weight: smallBackward ? blocks : plain)
            let dxExpected = tape.gradients(of: tape.sum(tape.multiply(backwardReference, dy)))[x]
            #expect(dx.scalars.map(\.bitPattern) == dxExpected.scalars.map(\.bitPattern), "\(type) N \(n) backward")
            let dxPlain = tape.gradients(of: tape.sum(tape.multiply(sgemm, dy)))[x]
            #expect(relativeError(dx.scalars, dxPlain.scalars) < 1e-5, "\(type) N \(n) backward against sgemm")
        }
        // Converting to a narrower type drops the blocks (their numbers are no longer the matrix's).
        #expect(both.converted(to: .bfloat16).blocksForSmallProducts == nil)
    }

    /// Embedding rows decode from the blocks.
    @Test func embeddingRowsDecodeFromBlocks() {
        let table = Self.matrix(.q8_0, outputs: 11, blocksPerRow: 2, seed: 9)
        let rows = Tape().embedding(table, ids: [3, 0, 10], scale: 2).value.scalars
        let expected = [3, 0, 10].flatMap { table.row($0).map { $0 * 2 } }
        #expect(rows == expected)
    }
}
