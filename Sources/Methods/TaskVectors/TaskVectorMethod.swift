// Shape legend: L layers, D model dim, B prompts in a batch, R rows of one forward call.
import Foundation
import Models
import Tasks
import Tensors

/// Task vectors (Hendel et al.): the residual stream after layer l at the last token of k-shot
/// prompts, averaged over prompts, replaces the residual stream after layer l at the last token
/// of a zero-shot prompt. The layer is the one of best first-token accuracy on the valid split.
public struct TaskVectorMethod: TaskMethod {
    /// k-shot train prompts the residual streams are averaged over (M).
    public var prompts: Int
    /// Demonstrations per prompt (k).
    public var shots: Int
    /// Valid items (the first ones) that choose the layer.
    public var validItems: Int
    /// A fixed layer, or nil to choose it on the valid split.
    public var layer: Int?
    /// Rows of one forward call while choosing the layer; results agree up to float rounding.
    public var rowsPerCall: Int

    public init(prompts: Int = 50, shots: Int = 10, validItems: Int = 50, layer: Int? = nil, rowsPerCall: Int = 64) {
        self.prompts = prompts
        self.shots = shots
        self.validItems = validItems
        self.layer = layer
        self.rowsPerCall = rowsPerCall
    }

    public var name: MethodName { .taskVectors }

    /// - Throws: `MethodError.invalidSetting` for a setting outside its range (counts < 1, a
    ///   fixed layer outside the model); `MethodError.notEnoughItems` when the train split cannot
    ///   give the prompts or their demonstrations, or the valid split is empty while the layer is
    ///   to be chosen; `MethodError` for a cached artifact that is corrupt or of another shape;
    ///   `TaskError.targetAddsNoToken` for a valid item without a target token; what saving the
    ///   artifact throws.
    public func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try prepareTaskVector(context, cache: cache)
    }

    /// Throws `MethodError.invalidSetting` for a setting outside its range on a model of `c`.
    public func validate(for c: DecoderConfiguration) throws {
        let check = SettingCheck(method: name)
        try check.atLeast("prompts", prompts, 1)
        try check.atLeast("shots", shots, 1)
        try check.atLeast("rows_per_call", rowsPerCall, 1)
        if let layer { try check.within("layer", layer, 0...(c.layerCount - 1)) } else { try check.atLeast("valid_items", validItems, 1) }
    }

    /// `prepare`, with the concrete result.
    public func prepareTaskVector(_ context: MethodContext, cache: ArtifactCache?) throws -> PreparedTaskVector {
        let start = Date()
        let c = context.model.decoder.configuration
        let l = c.layerCount, d = c.hiddenSize
        try validate(for: c)
        let key = artifactSettings(context)
        if let cache, let artifact = try cache.load(model: context.model.name, method: name, task: context.task.name, settings: key) {
            return try PreparedTaskVector(artifact: artifact, configuration: c, method: name, fromCache: Date().timeIntervalSince(start))
        }

        let check = SettingCheck(method: name), task = context.task.name
        try check.items(TaskSplit.train.rawValue, of: task, available: context.train.count, needed: prompts,
                        for: "\(prompts) prompts of distinct queries")
        try check.items(TaskSplit.train.rawValue, of: task, available: context.train.count, needed: shots + 1,
                        for: "\(shots)-shot prompts (a query and \(shots) other items)")
        if layer == nil {
            try check.items(TaskSplit.valid.rawValue, of: task, available: context.valid.count, needed: 1, for: "choosing the layer")
        }
        let seed = SplitMix64.mix([context.seed, SplitMix64.stableHash("task-vectors")])
        var generator = Xoshiro256StarStar(seed: seed)
        let kShot = try generator.sampleWithoutReplacement(prompts, from: context.train.count).map {
            try context.sampler.prompt(forItem: $0, of: context.train, split: .train, shots: shots, seed: seed)
        }
        let captured = try LastTokenMeans.compute(
            backend: context.backend, prompts: kShot.map { context.model.encode($0.text) }, sites: (0..<l).map { .residual(layer: $0) })
        let means = Tensor(shape: [l, d], scalars: (0..<l).flatMap { captured.means[.residual(layer: $0)]!.scalars })   // (L, D)
        var tokens = captured.tokens

        let accuracy: Tensor   // (L); NaN for layers not evaluated (a fixed layer)
        let chosen: Int
        if let layer {
            accuracy = Tensor(shape: [l], repeating: .nan)
            chosen = layer
        } else {
            let valid = Array(context.valid.prefix(validItems))
            let zeroShot = try context.sampler.prompts(for: valid, split: .valid, shots: 0, seed: context.seed)
            let targets = try zeroShot.map { try $0.targetToken(tokenize: context.model.encode) }
            let batch = try context.backend.lastTokenBatch(zeroShot.map { context.model.encode($0.text) }, targets: targets)
            accuracy = try Self.validAccuracy(batch: batch, targets: targets, means: means, rowsPerCall: rowsPerCall)
            tokens += batch.prefilledTokens + l * batch.count
            chosen = Self.bestLayer(accuracy.scalars)
        }

        let prepared = PreparedTaskVector(
            layer: chosen, means: means, validAccuracy: accuracy,
            preparation: PreparationCost(seconds: Date().timeIntervalSince(start), tokensProcessed: tokens))
        try cache?.save(model: context.model.name, method: name, task: context.task.name, settings: key, artifact: prepared.artifact)
        return prepared
    }

    /// First-token accuracy of the prompts of `batch` with the last token's residual stream after
    /// layer l replaced by `means` row l, for every layer l. Each forward call runs rows (item,
    /// layer) of one layer on the last-token path.
    /// - Parameters:
    ///   - targets: the first target token of each prompt of `batch`.
    ///   - means: (L, D).
    /// - Returns: (L).
    /// - Throws: what the backend throws.
    public static func validAccuracy(batch: any LastTokenBatch, targets: [Int], means: Tensor, rowsPerCall: Int = 64) throws -> Tensor {
        precondition(means.rank == 2, "task vectors: means \(means.shape), expected (L, D)")
        let l = means.shape[0], d = means.shape[1]
        precondition(targets.count == batch.count, "task vectors: \(targets.count) targets for \(batch.count) valid prompts")
        precondition(rowsPerCall > 0, "task vectors: rowsPerCall must be positive, got \(rowsPerCall)")
        var correct = [Int](repeating: 0, count: l)
        for layer in 0..<l {
            let mean = Tensor(shape: [d], scalars: Array(means.scalars[(layer * d)..<((layer + 1) * d)]))
            let plan = InterventionPlan(
                [InterventionRequest(.residual(layer: layer), .replace(.named("task_vector")))],
                inputs: InterventionInputs(constants: ["task_vector": mean]))
            var start = 0
            while start < batch.count {
                let indices = Array(start..<min(batch.count, start + rowsPerCall))
                guard let logits = try batch.forward(indices, plan: plan).logits else {
                    preconditionFailure("task vectors: a last-token call returned no logits")
                }
                let v = logits.shape[1]
                for (row, i) in indices.enumerated()
                where AnswerScorer.isFirstTokenMatch(logits: Array(logits.scalars[(row * v)..<((row + 1) * v)]), targetToken: targets[i]) {
                    correct[layer] += 1
                }
                start += indices.count
            }
        }
        return Tensor(shape: [l], scalars: correct.map { Float(Double($0) / Double(batch.count)) })
    }

    /// The layer of highest accuracy; ties go to the earlier layer.
    /// - Precondition: `accuracy` is not empty.
    public static func bestLayer(_ accuracy: [Float]) -> Int {
        precondition(!accuracy.isEmpty, "task vectors: no layer accuracies")
        var best = 0
        for (layer, a) in accuracy.enumerated() where a > accuracy[best] { best = layer }
        return best
    }
}
