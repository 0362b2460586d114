// Shapes: q (N, H·Dh) for the N new tokens of all sequences; k, v (N, Hkv·Dh); each sequence's
// keys/values (S, Hkv·Dh) = its C cached rows followed by its T new rows (S = C + T).
import Foundation
import Testing
@testable import Tensors

/// A ragged attention batch: per sequence, C cached tokens and T new ones.
struct AttentionCase: CustomStringConvertible, Sendable {
    var heads: Int
    var keyValueHeads: Int
    var headDimensions: Int
    var cached: [Int]
    var new: [Int]
    var window: Int? = nil
    var scale: Float? = nil
    var seed: UInt64

    var description: String {
        "H \(heads)/Hkv \(keyValueHeads), Dh \(headDimensions), cached \(cached), new \(new), window \(window.map(String.init) ?? "none")"
    }

    var geometry: AttentionGeometry {
        AttentionGeometry(heads: heads, keyValueHeads: keyValueHeads, headDimensions: headDimensions,
                          scale: scale ?? 1 / Float(headDimensions).squareRoot(), window: window)
    }

    var rowCount: Int { new.reduce(0, +) }
    var kvWidth: Int { keyValueHeads * headDimensions }

    /// q, k, v of the new tokens and the cached keys and values (C, Hkv·Dh) of every sequence.
    func tensors() -> (q: Tensor, k: Tensor, v: Tensor, cachedKeys: [Tensor], cachedValues: [Tensor]) {
        var rng = SplitMix64(seed: seed)
        let q = rng.normal([rowCount, heads * headDimensions])
        let k = rng.normal([rowCount, kvWidth]), v = rng.normal([rowCount, kvWidth])
        let cachedKeys = cached.map { rng.normal([$0, kvWidth]) }
        let cachedValues = cached.map { rng.normal([$0, kvWidth]) }
        return (q, k, v, cachedKeys, cachedValues)
    }

    /// Each sequence's full keys and values: its cached rows, then its rows of k and v.
    func sequences(k: Tensor, v: Tensor, cachedKeys: [Tensor], cachedValues: [Tensor]) -> [AttentionSequence] {
        var start = 0
        return new.indices.map { s in
            let rows = start..<(start + new[s])
            start += new[s]
            let newKeys = k.scalars[(rows.lowerBound * kvWidth)..<(rows.upperBound * kvWidth)]
            let newValues = v.scalars[(rows.lowerBound * kvWidth)..<(rows.upperBound * kvWidth)]
            return AttentionSequence(rows: rows, keys: cachedKeys[s].scalars + newKeys, values: cachedValues[s].scalars + newValues)
        }
    }

    /// The textbook definition: for query i of a sequence at position p = C + i, softmax over the
    /// keys j ≤ p (and j > p − window) of scale · q·k_j, then Σ_j p_j v_j; query head h reads KV
    /// head h / (H / Hkv). Double throughout.
    /// The attention output with constant inputs (no probabilities kept, the inference paths),
    /// with q on a tape (every probability kept, the training path), and from the naive loop.
    func constantAndTapedOutputs() -> (constant: [Float], taped: [Float], naive: [Double]) {
        let (q, k, v, cachedKeys, cachedValues) = tensors()
        let sequences = sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        let constant = Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                                        sequences: sequences, geometry: geometry)
        let tape = Tape()
        let taped = tape.attention(query: tape.parameter(q), key: Variable(constant: k), value: Variable(constant: v),
                                   sequences: sequences, geometry: geometry)
        return (constant.value.scalars, taped.value.scalars, naiveOutput(q: q, sequences: sequences))
    }

    func naiveOutput(q: Tensor, sequences: [AttentionSequence]) -> [Double] {
        let g = geometry, dh = headDimensions, qWidth = heads * dh, group = heads / keyValueHeads
        var y = [Double](repeating: 0, count: rowCount * qWidth)
        for sequence in sequences {
            let s = sequence.keys.count / kvWidth, t = sequence.rows.count
            for i in 0..<t {
                let row = sequence.rows.lowerBound + i, position = s - t + i
                for head in 0..<heads {
                    let kvHead = head / group
                    var scores = [Double](repeating: -.infinity, count: s)
                    for j in 0...position where g.window.map({ j > position - $0 }) ?? true {
                        var dot = 0.0
                        for d in 0..<dh {
                            dot += Double(q.scalars[row * qWidth + head * dh + d]) * Double(sequence.keys[j * kvWidth + kvHead * dh + d])
                        }
                        scores[j] = Double(g.scale) * dot
                    }
                    let maximum = scores.max()!
                    let weights = scores.map { exp($0 - maximum) }
                    let total = weights.reduce(0, +)
                    for j in 0..<s where weights[j] > 0 {
                        for d in 0..<dh {
                            y[row * qWidth + head * dh + d] += weights[j] / total * Double(sequence.values[j * kvWidth + kvHead * dh + d])
                        }
                    }
                }
            }
        }
        return y
    }
}

@Suite struct AttentionTests {
    static let cases: [AttentionCase] = [
        // Decoding: one new token after a cache, grouped-query heads.
        AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 4, cached: [5], new: [1], seed: 500),
        // Prefill of three tokens, no cache, one KV head per query head.
        AttentionCase(heads: 2, keyValueHeads: 2, headDimensions: 4, cached: [0], new: [3], seed: 501),
        // Two sequences of different lengths with cached prefixes.
        AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 3, cached: [4, 6], new: [3, 1], seed: 502),
        // Sliding window of 3 that cuts into both caches and into the new tokens.
        AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 4, cached: [5, 2], new: [3, 3], window: 3, seed: 503),
        // Multi-query (one KV head), a scale that is not 1/sqrt(Dh), window 2.
        AttentionCase(heads: 4, keyValueHeads: 1, headDimensions: 2, cached: [2], new: [2], window: 2, scale: 0.3, seed: 504),
        // Three sequences, one new token each, without and with cache; window larger than any sequence.
        AttentionCase(heads: 2, keyValueHeads: 1, headDimensions: 5, cached: [0, 3, 1], new: [1, 1, 1], window: 50, seed: 505),
    ]

    @Test(arguments: cases)
    func forwardMatchesNaiveTripleLoop(_ c: AttentionCase) {
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let sequences = c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        let y = Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                                 sequences: sequences, geometry: c.geometry)
        #expect(y.shape == [c.rowCount, c.heads * c.headDimensions])
        #expect(maxAbsDifference(y.value.scalars, c.naiveOutput(q: q, sequences: sequences)) < 1e-5)
    }

    /// A decode step of many sequences runs them on the kernel pool's threads (constant inputs,
    /// one new row each); the same step with q on the tape runs them one after another. Both
    /// give the same bits, and the naive loop's values. (With one BLAS thread both are serial.)
    @Test func decodeStepOnThePoolEqualsTheSerialPass() {
        let c = AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 8, cached: (0..<37).map { 3 + 5 * ($0 % 7) },
                              new: [Int](repeating: 1, count: 37), window: 20, seed: 506)
        let (pooled, serial, naive) = c.constantAndTapedOutputs()
        #expect(pooled == serial)
        #expect(maxAbsDifference(pooled, naive) < 1e-5)
    }

    /// Prefill spreads the (sequence, head) pairs over the kernel pool with one-thread BLAS calls:
    /// the same bits, and the same kept probabilities, as the sequences one after another.
    @Test(arguments: [false, true])
    func prefillPairsOnThePoolEqualTheSerialPass(keepProbabilities: Bool) {
        let c = AttentionCase(heads: 6, keyValueHeads: 2, headDimensions: 8, cached: [0, 4, 9, 0], new: [7, 3, 12, 1],
                              window: 9, seed: 507)
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let sequences = c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        var pooled = [Float](repeating: .nan, count: q.count), serial = pooled
        var pooledP = [[Float]](), serialP = [[Float]]()
        q.scalars.withUnsafeBufferPointer { qp in
            pooled.withUnsafeMutableBufferPointer { yp in
                pooledP = attentionForwardOnThePool(y: yp.baseAddress!, q: qp.baseAddress!, sequences: sequences,
                                                    geometry: c.geometry, keepProbabilities: keepProbabilities)
            }
            serial.withUnsafeMutableBufferPointer { yp in
                for sequence in sequences {
                    serialP += attentionForward(y: yp.baseAddress!, q: qp.baseAddress!, sequence: sequence, geometry: c.geometry,
                                                keepProbabilities: keepProbabilities)
                }
            }
        }
        #expect(pooled.map(\.bitPattern) == serial.map(\.bitPattern))
        #expect(pooledP.count == (keepProbabilities ? 4 * 6 : 0) && pooledP == serialP)
        #expect(maxAbsDifference(pooled, c.naiveOutput(q: q, sequences: sequences)) < 1e-5)
    }

    /// Prefills longer than a row block without a gradient skip the keys no row of a block sees
    /// (causal, and outside a window): the naive loop's values, and those of the whole-P pass
    /// that a gradient takes.
    @Test(arguments: [nil, 40] as [Int?])
    func longPrefillInRowBlocksMatchesTheNaiveLoop(window: Int?) {
        let c = AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 8, cached: [0, 30, 5], new: [150, 70, 64],
                              window: window, seed: 508)
        #expect(c.new.max()! > attentionRowBlock)
        let (blocks, whole, naive) = c.constantAndTapedOutputs()
        #expect(maxAbsDifference(blocks, naive) < 1e-5)
        #expect(maxAbsDifference(blocks, whole) < 1e-6)
    }

    @Test(arguments: cases)
    func gradientsOfQueryKeyAndValue(_ c: AttentionCase) {
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        // Keys and values are rebuilt from the (possibly perturbed) k and v on every evaluation.
        expectGradientsMatch([q, k, v], names: ["q", "k", "v"]) { tape, x in
            tape.attention(query: x[0], key: x[1], value: x[2],
                           sequences: c.sequences(k: x[1].value, v: x[2].value, cachedKeys: cachedKeys, cachedValues: cachedValues),
                           geometry: c.geometry)
        }
    }

    @Test func gradientOfQueryAloneWithConstantKeysAndValues() {
        let c = Self.cases[2]
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let sequences = c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        expectGradientsMatch([q]) { tape, x in
            tape.attention(query: x[0], key: Variable(constant: k), value: Variable(constant: v), sequences: sequences, geometry: c.geometry)
        }
    }

    @Test func gradientOfValuesAloneWithConstantQueries() {
        let c = Self.cases[3]
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        expectGradientsMatch([v]) { tape, x in
            tape.attention(query: Variable(constant: q), key: Variable(constant: k), value: x[0],
                           sequences: c.sequences(k: k, v: x[0].value, cachedKeys: cachedKeys, cachedValues: cachedValues),
                           geometry: c.geometry)
        }
    }

    @Test(arguments: [nil, 2] as [Int?])
    func prefillEqualsTokenByTokenDecoding(window: Int?) {
        // Causal masking in one call must agree with a growing cache, one token per call.
        let c = AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 4, cached: [2], new: [4], window: window, seed: 510)
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let all = Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                                   sequences: c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues),
                                   geometry: c.geometry)
        let width = c.kvWidth
        for i in 0..<4 {
            let keys = cachedKeys[0].scalars + k.scalars[0..<((i + 1) * width)]
            let values = cachedValues[0].scalars + v.scalars[0..<((i + 1) * width)]
            let one = Tape().attention(
                query: Variable(constant: Tensor(shape: [1, 16], scalars: q.row(i))),
                key: Variable(constant: Tensor(shape: [1, width], scalars: k.row(i))),
                value: Variable(constant: Tensor(shape: [1, width], scalars: v.row(i))),
                sequences: [AttentionSequence(rows: 0..<1, keys: keys, values: values)], geometry: c.geometry)
            #expect(maxAbsDifference(one.value.scalars, all.value.row(i)) < 1e-6, "token \(i)")
        }
    }

    @Test func keysOutsideTheWindowHaveNoInfluence() {
        let c = AttentionCase(heads: 2, keyValueHeads: 1, headDimensions: 4, cached: [6], new: [1], window: 3, seed: 511)
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        var farKeys = cachedKeys[0], farValues = cachedValues[0]
        // Positions 0..3 are outside the window of the query at position 6 (it sees 4, 5, 6).
        for i in 0..<(4 * c.kvWidth) {
            farKeys.scalars[i] += 100
            farValues.scalars[i] -= 100
        }
        func output(_ keys: Tensor, _ values: Tensor) -> Tensor {
            Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                             sequences: c.sequences(k: k, v: v, cachedKeys: [keys], cachedValues: [values]),
                             geometry: c.geometry).value
        }
        #expect(output(farKeys, farValues) == output(cachedKeys[0], cachedValues[0]))
        // Position 4 is inside: changing it changes the output.
        var nearValues = cachedValues[0]
        nearValues.scalars[4 * c.kvWidth] += 1
        #expect(output(cachedKeys[0], nearValues) != output(cachedKeys[0], cachedValues[0]))
    }

    @Test func aSingleVisibleKeyReturnsItsValue() {
        // Window 1: every query sees only its own key, so the output is its own value row, per KV group.
        let c = AttentionCase(heads: 4, keyValueHeads: 2, headDimensions: 3, cached: [3], new: [2], window: 1, seed: 512)
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let y = Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                                 sequences: c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues),
                                 geometry: c.geometry)
        for row in 0..<2 {
            for head in 0..<4 {
                let kvHead = head / 2
                for d in 0..<3 {
                    #expect(abs(y.value.scalars[row * 12 + head * 3 + d] - v.scalars[row * 6 + kvHead * 3 + d]) < 1e-6)
                }
            }
        }
    }
}

@Suite struct AttentionEdgeTests {
    @Test func sequencesMayBeListedInAnyRowOrder() {
        let c = AttentionTests.cases[2]
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let sequences = c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        func run(_ s: [AttentionSequence]) -> Tensor {
            Tape().attention(query: Variable(constant: q), key: Variable(constant: k), value: Variable(constant: v),
                             sequences: s, geometry: c.geometry).value
        }
        #expect(run(Array(sequences.reversed())) == run(sequences))
        // Gradients too: the saved probabilities must be matched to their sequence in backward.
        expectGradientsMatch([q, k, v], names: ["q", "k", "v"]) { tape, x in
            tape.attention(query: x[0], key: x[1], value: x[2],
                           sequences: Array(c.sequences(k: x[1].value, v: x[2].value, cachedKeys: cachedKeys, cachedValues: cachedValues).reversed()),
                           geometry: c.geometry)
        }
    }

    @Test func largeScoresStayFiniteAndMatchTheNaiveLoop() {
        // Scores of order ±100: exp without the row maximum would overflow Float.
        let c = AttentionCase(heads: 2, keyValueHeads: 1, headDimensions: 4, cached: [3], new: [2], scale: 8, seed: 520)
        let (q, k, v, cachedKeys, cachedValues) = c.tensors()
        let sequences = c.sequences(k: k, v: v, cachedKeys: cachedKeys, cachedValues: cachedValues)
        let y = Tape().attention(query: Variable(constant: q.map { $0 * 4 }), key: Variable(constant: k), value: Variable(constant: v),
                                 sequences: sequences, geometry: c.geometry).value
        #expect(y.scalars.filter { !$0.isFinite }.isEmpty)
        #expect(maxAbsDifference(y.scalars, c.naiveOutput(q: q.map { $0 * 4 }, sequences: sequences)) < 1e-4)
    }
}
