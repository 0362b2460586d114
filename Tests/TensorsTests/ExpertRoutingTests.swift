// Shapes: router logits and routing weights (N, E); an expert's rows (R, D); the layer output (N, D).
import Foundation
import Testing
@testable import Tensors

@Suite struct ExpertRoutingTests {
    /// Router logits whose entries differ by more than the checker's ε, so no choice flips while
    /// the finite differences run.
    static let logits = Tensor(shape: [3, 4], scalars: [0.3, -1.2, 1.5, 0.9,
                                                        2.0, 0.1, -0.5, 1.1,
                                                        -0.7, 0.4, 0.0, -1.9])

    @Test func choosesTheLargestLogitsAndSoftmaxesOverThem() {
        let routing = Tape().topKRouting(Variable(constant: Self.logits), expertsPerToken: 2)
        #expect(routing.choices == [[2, 3], [0, 3], [1, 2]])
        #expect(routing.rows(of: 3) == [0, 1] && routing.rows(of: 1) == [2])
        let w = routing.weights.value
        #expect(w.shape == [3, 4])
        let expected = 1 / (1 + exp(Double(0.9 - 1.5)))  // softmax of (1.5, 0.9), first entry
        #expect(abs(Double(w.scalars[2]) - expected) < 1e-6 && abs(Double(w.scalars[3]) - (1 - expected)) < 1e-6)
        #expect(w.scalars[0] == 0 && w.scalars[1] == 0)
        for r in 0..<3 { #expect(abs(w.row(r).reduce(0, +) - 1) < 1e-6) }
    }

    @Test func tiesGoToTheLowerIndex() {
        let routing = Tape().topKRouting(Variable(constant: Tensor(shape: [1, 3], scalars: [1, 1, 1])), expertsPerToken: 2)
        #expect(routing.choices == [[0, 1]])
        #expect(routing.weights.value.scalars == [0.5, 0.5, 0])
    }

    @Test func allExpertsIsTheSoftmax() {
        let routing = Tape().topKRouting(Variable(constant: Self.logits), expertsPerToken: 4)
        var softmax = [Double]()
        for r in 0..<3 {
            let e = Self.logits.row(r).map { exp(Double($0)) }
            softmax += e.map { $0 / e.reduce(0, +) }
        }
        #expect(maxAbsDifference(routing.weights.value.scalars, softmax) < 1e-6)
    }

    @Test func routingGradient() {
        expectGradientsMatch([Self.logits]) { tape, v in tape.topKRouting(v[0], expertsPerToken: 2).weights }
        expectGradientsMatch([Self.logits]) { tape, v in tape.topKRouting(v[0], expertsPerToken: 3).weights }
    }

    @Test func scaleRowsForwardAndGradients() {
        var rng = SplitMix64(seed: 800)
        let y = rng.normal([2, 3]), weights = rng.normal([4, 3])
        let out = Tape().scaleRows(Variable(constant: y), by: Variable(constant: weights), column: 1, rows: [3, 0]).value
        #expect(out.row(0) == y.row(0).map { $0 * weights.scalars[3 * 3 + 1] })
        #expect(out.row(1) == y.row(1).map { $0 * weights.scalars[0 * 3 + 1] })
        expectGradientsMatch([y, weights], names: ["y", "weights"]) { tape, v in
            tape.scaleRows(v[0], by: v[1], column: 1, rows: [3, 0])
        }
    }

    @Test func addingRowsForwardAndGradients() {
        var rng = SplitMix64(seed: 801)
        let base = rng.normal([4, 3]), values = rng.normal([2, 3])
        let out = Tape().addingRows(Variable(constant: base), [2, 0], Variable(constant: values)).value
        #expect(out.row(2) == zip(base.row(2), values.row(0)).map { $0 + $1 })
        #expect(out.row(0) == zip(base.row(0), values.row(1)).map { $0 + $1 })
        #expect(out.row(1) == base.row(1) && out.row(3) == base.row(3))
        expectGradientsMatch([base, values], names: ["base", "values"]) { tape, v in tape.addingRows(v[0], [2, 0], v[1]) }
    }

    /// The mixture-of-experts layer's composition: each expert's rows scaled by the routing
    /// weights and added into the output, differentiated back to the router logits.
    @Test func gradientThroughAMixtureOfTwoExperts() {
        var rng = SplitMix64(seed: 802)
        let x = rng.normal([3, 4])
        let experts = [rng.normal([4, 4]), rng.normal([4, 4]), rng.normal([4, 4]), rng.normal([4, 4])]
        expectGradientsMatch([Self.logits, x], names: ["logits", "x"]) { tape, v in
            let routing = tape.topKRouting(v[0], expertsPerToken: 2)
            var out = Variable(constant: Tensor(shape: [3, 4]))
            for (e, weight) in experts.enumerated() {
                let rows = routing.rows(of: e)
                if rows.isEmpty { continue }
                let y = tape.linear(tape.rows(v[1], rows), weight: Variable(constant: weight))
                out = tape.addingRows(out, rows, tape.scaleRows(y, by: routing.weights, column: e, rows: rows))
            }
            return out
        }
    }
}
