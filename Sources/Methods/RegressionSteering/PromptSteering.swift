// Shape legend: B prompts, N points per prompt, d input dim, D model dim, L layers, H heads,
// Dh head dim.
import Models
import Tasks
import Tensors

/// Steering of the regression transformer as the LTV reference runs it: every intervention acts
/// at the query's x row (the final x token), and LTV and SITE act with each prompt's own head
/// outputs (`PromptHeadOutputs`, from a prompt of the same function).
public enum PromptSteering: Sendable {
    /// The plain transformer.
    case none
    /// LTV: v_{b,l} = Σ_h w[l, h] · P_b[l, h] added after every layer l; weights w (L, H).
    case learnedTaskVectors(weights: Tensor)
    /// SITE: a ← (1 − α)·a + α·t_b per head at every layer, t_b prompt b's source heads; α (L, H).
    case softInjection(alphas: Tensor)
    /// FV: vector (D) · (1 / |layers|) added after each of `layers`, at the query x and at the x
    /// row of every zero pair inserted into the prompt (`ZeroPairs`).
    case functionVector(vector: Tensor, layers: [Int], zeroPairs: ZeroPairs)

    /// Whether the steering reads `PromptHeadOutputs`.
    public var needsSource: Bool {
        switch self {
        case .learnedTaskVectors, .softInjection: return true
        case .none, .functionVector: return false
        }
    }

    /// LTV's interventions for weights w (L, H), constant or on `tape`: per layer one `.add` of
    /// (B, D) at the query x.
    static func learnedTaskVectorInterventions(weights: Variable, source: PromptHeadOutputs, tape: Tape) -> [Intervention] {
        let b = source.count, l = source.projected.shape[1], d = source.projected.shape[3]
        precondition(weights.shape == [l, source.projected.shape[2]], "LTV weights \(weights.shape) for P \(source.projected.shape)")
        return (0..<l).map { layer in
            // (1, B·D): every prompt's Σ_h w[l, h] P_b[l, h] side by side.
            let vectors = tape.linear(tape.rows(weights, [layer]), weight: Variable(constant: source.projectionWeight(layer: layer)))
            return Intervention(.residual(layer: layer), .add(tape.reshape(vectors, [b, d])))
        }
    }

    /// SITE's interventions for α (L, H), constant or on `tape`.
    static func softInjectionInterventions(alphas: Variable, source: PromptHeadOutputs, tape: Tape) -> [Intervention] {
        SoftInjectionInterventions.make(
            embeddings: (0..<source.count).map { source.embedding(prompt: $0) }, weights: alphas,
            rows: (0..<source.count).map { .init(embedding: $0, weights: 0) }, tape: tape)
    }

    /// The prediction at the query (last point) of every prompt, (B), in calls of `chunk` prompts.
    /// - Precondition: `source` has one row per prompt when `needsSource`; the prompts (with any
    ///   zero pairs) fit the model's positions.
    public func queryPredictions(
        of model: RegressionTransformer, on batch: RegressionBatch, source: PromptHeadOutputs?, chunk: Int = 64
    ) -> [Float] {
        precondition(!needsSource || source?.count == batch.batchSize, "steering: source rows \(source?.count ?? 0) for \(batch.batchSize) prompts")
        var out = [Float]()
        out.reserveCapacity(batch.batchSize)
        var start = 0
        while start < batch.batchSize {
            let range = start..<min(batch.batchSize, start + chunk)
            out += predictions(of: model, on: batch.prompts(range), source: source?.prompts(range))
            start = range.upperBound
        }
        return out
    }

    private func predictions(of model: RegressionTransformer, on batch: RegressionBatch, source: PromptHeadOutputs?) -> [Float] {
        let tape = Tape()
        var prompts = batch
        var interventions = [Intervention]()
        switch self {
        case .none:
            break
        case .learnedTaskVectors(let weights):
            interventions = Self.learnedTaskVectorInterventions(weights: Variable(constant: weights), source: source!, tape: tape)
        case .softInjection(let alphas):
            interventions = Self.softInjectionInterventions(alphas: Variable(constant: alphas), source: source!, tape: tape)
        case .functionVector(let vector, let layers, let zeroPairs):
            let inserted = zeroPairs.inserted(into: batch)
            prompts = inserted.batch
            let b = batch.batchSize
            let scaled = vector.map { $0 / Float(layers.count) }
            let value = Variable(constant: Tensor(shape: [b, scaled.count], scalars: (0..<b).flatMap { _ in scaled.scalars }))
            let rows = [RegressionTransformer.queryRow(points: prompts.points)] + inserted.zeroPoints.map { RegressionTransformer.queryRow(points: $0 + 1) }
            for layer in layers {
                for row in rows {
                    interventions.append(Intervention(.residual(layer: layer), at: .indices(Array(repeating: row, count: b)), .add(value)))
                }
            }
        }
        precondition(prompts.points <= model.configuration.maxPoints, "steering: \(prompts.points) points, the model has \(model.configuration.maxPoints)")
        let n = prompts.points
        // (B, N): the prediction at every x row.
        let predictions = model.forward(prompts.promptTensor(), tape: tape, interventions: interventions).predictions.value.scalars
        return (0..<prompts.batchSize).map { predictions[$0 * n + n - 1] }
    }
}

/// The FV baseline's zero pairs (LTV reference): before the prompt's points ⌊f·N⌋ for every
/// fraction f, an x of zeros with y = 0 is inserted, and the FV is added at its x row too. (The
/// reference adds it at row 2(⌊f·N⌋ − 1), the x before the inserted one; here it goes on the
/// inserted x itself.)
public struct ZeroPairs: Sendable, Equatable {
    public var fractions: [Double]

    public init(fractions: [Double]) {
        precondition(fractions.allSatisfy { $0 >= 0 && $0 < 1 }, "zero pairs: fractions \(fractions) outside [0, 1)")
        self.fractions = fractions
    }

    /// `batch` with the zero pairs inserted, and the point index of each inserted pair, ascending.
    public func inserted(into batch: RegressionBatch) -> (batch: RegressionBatch, zeroPoints: [Int]) {
        let n = batch.points, d = batch.dimension
        let before = fractions.map { Int($0 * Double(n)) }.sorted()  // original point each pair precedes
        let zeroPoints = before.enumerated().map { $0.element + $0.offset }
        let m = n + before.count
        var xs = [Float](repeating: 0, count: batch.batchSize * m * d), ys = [Float](repeating: 0, count: batch.batchSize * m)
        for b in 0..<batch.batchSize {
            var source = 0
            for point in 0..<m where !zeroPoints.contains(point) {
                for i in 0..<d { xs[(b * m + point) * d + i] = batch.xs[(b * n + source) * d + i] }
                ys[b * m + point] = batch.ys[b * n + source]
                source += 1
            }
        }
        return (RegressionBatch(batchSize: batch.batchSize, points: m, dimension: d, xs: xs, ys: ys), zeroPoints)
    }
}

extension RegressionBatch {
    /// Prompts `range` of the batch.
    public func prompts(_ range: Range<Int>) -> RegressionBatch {
        precondition(range.lowerBound >= 0 && range.upperBound <= batchSize, "prompts \(range) of \(batchSize)")
        return RegressionBatch(
            batchSize: range.count, points: points, dimension: dimension,
            xs: Array(xs[(range.lowerBound * points * dimension)..<(range.upperBound * points * dimension)]),
            ys: Array(ys[(range.lowerBound * points)..<(range.upperBound * points)]))
    }
}
