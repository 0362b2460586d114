// Shape legend: B sequences, N tokens of all sequences, R rows of a last-token call, V vocab.
import Foundation
import Tensors
import Tokenizers

/// The torch worker as a backend: transformers' model classes compute, on CPU or GPUs; the
/// worker hooks the intervention sites and runs autograd for the last-token gradients.
/// Tokenization stays in Swift (`tokenizer`), so token ids equal the native backend's.
public final class TorchBackend: ModelBackend {
    public let client: WorkerClient
    /// Decodes generated tokens for the stop rules; nil for a model without one (tests of tiny
    /// checkpoints), which cannot generate.
    public let tokenizer: Tokenizer?
    public let shape: BackendModelShape
    /// The `load` response's `config` (model_type, dtype, device, …).
    public let loadedConfig: [String: Any]
    public let settings: [String: String]

    /// Loads `model` (a Hugging Face folder, a `.gguf` file or `ORG/NAME` in the local cache).
    /// - Throws: `WorkerError` when the worker cannot load it or answers without the sizes.
    public init(client: WorkerClient, model: String, options: TorchLoadOptions, tokenizer: Tokenizer?) throws {
        self.client = client
        self.tokenizer = tokenizer
        var fields = options.fields
        fields["model"] = model
        let response = try client.request("load", fields: fields)
        guard let config = response.header["config"] as? [String: Any],
              let layers = config["layers"] as? Int, let heads = config["heads"] as? Int,
              let dh = config["head_dim"] as? Int, let hidden = config["hidden"] as? Int, let vocab = config["vocab"] as? Int
        else { throw WorkerError.badResponse(request: "load of \(model)", problem: "no config with layers, heads, head_dim, hidden, vocab") }
        loadedConfig = config
        settings = options.settings
        shape = BackendModelShape(layers: layers, attentionHeads: heads, headDimensions: dh, hiddenSize: hidden, vocabularySize: vocab)
    }

    public func forward(_ sequences: [[Int]], plan: InterventionPlan, logits: Decoder.LogitRows) throws -> BackendForward {
        let rows: String
        switch logits {
        case .none: rows = "none"
        case .last: rows = "last"
        case .all: rows = "all"
        }
        let response = try client.request(
            "forward", fields: ["interventions": plan.wireInterventions, "logits": rows],
            payloads: Self.sequencePayloads(sequences) + plan.wirePayloads)
        let n = logits == .all ? sequences.reduce(0) { $0 + $1.count } : sequences.count
        return BackendForward(
            logits: logits == .none ? nil : try tensor("logits", of: response, shape: [n, shape.vocabularySize], op: "forward"),
            captures: try captures(of: response, plan: plan, batch: sequences.count, op: "forward"))
    }

    public func generate(
        _ prompts: [[Int]], options: GenerationOptions, plan: (Range<Int>) -> InterventionPlan
    ) throws -> [Generated] {
        var results = [Generated]()
        var start = 0
        while start < prompts.count {
            let range = start..<min(prompts.count, start + options.batchSize)
            results += try generateBatch(Array(prompts[range]), options: options.forPrompts(from: range.lowerBound), plan: plan(range))
            start = range.upperBound
        }
        return results
    }

    func generateBatch(_ prompts: [[Int]], options: GenerationOptions, plan: InterventionPlan) throws -> [Generated] {
        guard let tokenizer else { throw BackendError.noTokenizer }
        guard options.maxNewTokens > 0 else { return prompts.map { _ in Generated(tokens: [], text: "", stop: .maxTokens) } }
        var fields: [String: Any] = [
            "interventions": plan.wireInterventions, "max_new_tokens": options.maxNewTokens,
            "suppress_eos_first": options.suppressEndOfSequenceAtFirstStep,
        ]
        // The native engine stops at the tokenizer's one EOS token; so does the worker.
        fields["eos_token_ids"] = tokenizer.eosTokenId.map { [$0] } ?? []
        let response = try client.request("generate", fields: fields, payloads: Self.sequencePayloads(prompts) + plan.wirePayloads)
        guard let tokens = response.payload("generated")?.ints, let counts = response.payload("generated_lengths")?.ints,
              counts.count == prompts.count, Int(counts.reduce(0, +)) == tokens.count,
              let reasons = response.header["stop_reasons"] as? [String], reasons.count == prompts.count
        else { throw WorkerError.badResponse(request: "generate", problem: "generated, generated_lengths or stop_reasons missing or inconsistent") }
        var results = [Generated]()
        var offset = 0
        for (b, count) in counts.enumerated() {
            let sequence = tokens[offset..<(offset + Int(count))].map(Int.init)
            offset += Int(count)
            results.append(Self.applyingStopRules(sequence, prompt: b, endedAtEOS: reasons[b] == "eos", options: options, tokenizer: tokenizer))
        }
        return results
    }

    /// The continuation the native engine returns for greedy `tokens`: it decodes after every
    /// token and stops at the first stop string or stop rule, as `LanguageModel.generate` does.
    /// - Parameter prompt: the sequence's index among the prompts `options` was made for.
    static func applyingStopRules(
        _ tokens: [Int], prompt: Int, endedAtEOS: Bool, options: GenerationOptions, tokenizer: Tokenizer
    ) -> Generated {
        var kept = [Int]()
        var text = ""
        for token in tokens {
            kept.append(token)
            text = tokenizer.decode(kept, skipSpecialTokens: true)
            if options.stopStrings.contains(where: { text.contains($0) }) { return Generated(tokens: kept, text: text, stop: .stopString) }
            if let rule = options.stopWhen, rule(prompt, text) { return Generated(tokens: kept, text: text, stop: .stopRule) }
        }
        return Generated(tokens: kept, text: text, stop: endedAtEOS ? .endOfSequence : .maxTokens)
    }

    public func lastTokenBatch(_ prompts: [[Int]], targets: [Int]) throws -> any LastTokenBatch {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "lastTokenBatch: an empty prompt")
        precondition(targets.isEmpty || targets.count == prompts.count, "lastTokenBatch: \(targets.count) targets for \(prompts.count) prompts")
        return TorchLastTokenBatch(backend: self, prompts: prompts, targets: targets)
    }

    /// The worker's `project_heads` of every layer, through the attention-output norm where the
    /// family has one.
    /// - Throws: `BackendError.badValue` for another shape; `WorkerError` naming the request.
    public func projectHeads(_ headOutputs: Tensor) throws -> Tensor {
        let l = shape.layers, w = shape.attentionWidth
        guard headOutputs.shape == [l, w] else {
            throw BackendError.badValue("projectHeads: head outputs \(headOutputs.shape), expected (\(l), \(w))")
        }
        let response = try client.request(
            "project_heads", fields: ["layers": Array(0..<l), "through_attention_norm": true],
            payloads: [WorkerPayload(name: "heads", shape: [l, w], floats: headOutputs.scalars)])
        return try tensor("projected", of: response, shape: [l, shape.attentionHeads, shape.hiddenSize], op: "project_heads")
    }

    // MARK: Payloads

    static func sequencePayloads(_ sequences: [[Int]]) -> [WorkerPayload] {
        let ids = sequences.flatMap { $0.map { Int32($0) } }
        return [WorkerPayload(name: "ids", shape: [ids.count], ints: ids),
                WorkerPayload(name: "lengths", shape: [sequences.count], ints: sequences.map { Int32($0.count) })]
    }

    func tensor(_ name: String, of response: WorkerFrame, shape expected: [Int], op: String) throws -> Tensor {
        guard let payload = response.payload(name), let values = payload.floats else {
            throw WorkerError.badResponse(request: op, problem: "no float32 payload \(name)")
        }
        guard payload.shape == expected else {
            throw WorkerError.badResponse(request: op, problem: "payload \(name) has shape \(payload.shape), expected \(expected)")
        }
        return Tensor(shape: payload.shape, scalars: values)
    }

    func captures(of response: WorkerFrame, plan: InterventionPlan, batch: Int, op: String) throws -> [InterventionSite: Tensor] {
        var captures = [InterventionSite: Tensor]()
        for item in response.header["captures"] as? [[String: Any]] ?? [] {
            guard let name = item["payload"] as? String, let siteName = item["site"] as? String, let layer = item["layer"] as? Int,
                  let site = InterventionSite(wireName: siteName, layer: layer)
            else { throw WorkerError.badResponse(request: op, problem: "a capture listing without payload, site or layer") }
            captures[site] = try tensor(name, of: response, shape: [batch, shape.width(of: site)], op: op)
        }
        let asked = Set(plan.interventions.filter { $0.action == .capture }.map(\.site))
        guard Set(captures.keys) == asked else {
            throw WorkerError.badResponse(request: op, problem: "captures of \(captures.keys.map(\.description).sorted()) for \(asked.map(\.description).sorted())")
        }
        return captures
    }
}

/// Each call sends its prompts, and the worker prefills them up to their last token (once per
/// distinct prompt, and not again when a recent call sent the same prompts: a CIE scan's calls
/// all send the same corrupted prompts) and runs the last tokens.
final class TorchLastTokenBatch: LastTokenBatch {
    let backend: TorchBackend
    let prompts: [[Int]]
    let targets: [Int]

    init(backend: TorchBackend, prompts: [[Int]], targets: [Int]) {
        self.backend = backend
        self.prompts = prompts
        self.targets = targets
    }

    var count: Int { prompts.count }
    var prefilledTokens: Int { 0 }

    /// The worker's last-token path without targets: logits and captures, no loss.
    func forward(_ indices: [Int], plan: InterventionPlan) throws -> BackendForward {
        try checkLastOnly(plan)
        let op = "last_token_loss_grad"
        let response = try backend.client.request(
            op, fields: ["interventions": plan.wireInterventions, "grad": false, "return_logits": true],
            payloads: TorchBackend.sequencePayloads(indices.map { prompts[$0] }) + plan.wirePayloads)
        return BackendForward(
            logits: try backend.tensor("logits", of: response, shape: [indices.count, backend.shape.vocabularySize], op: op),
            captures: try backend.captures(of: response, plan: plan, batch: indices.count, op: op))
    }

    func loss(_ indices: [Int], plan: InterventionPlan, reduction: LossReduction, gradients: Bool) throws -> LastTokenLoss {
        guard !targets.isEmpty else { throw BackendError.noTargets }
        try checkLastOnly(plan)
        let parameters = plan.inputs.parameters.keys.sorted()
        let fields: [String: Any] = [
            "interventions": plan.wireInterventions, "params": gradients ? parameters : [],
            "grad": gradients && !parameters.isEmpty, "return_logits": true,
        ]
        let targetsPayload = WorkerPayload(name: "targets", shape: [indices.count], ints: indices.map { Int32(targets[$0]) })
        let op = "last_token_loss_grad"
        let response = try backend.client.request(
            op, fields: fields, payloads: TorchBackend.sequencePayloads(indices.map { prompts[$0] }) + [targetsPayload] + plan.wirePayloads)
        let v = backend.shape.vocabularySize
        let logits = try backend.tensor("logits", of: response, shape: [indices.count, v], op: op)
        let rowLosses = indices.indices.map { row in
            crossEntropy(logits.scalars[(row * v)..<((row + 1) * v)], target: targets[indices[row]])
        }
        let mean = (response.header["loss"] as? Double).map(Float.init) ?? .nan
        // The worker differentiates the mean; a sum is R times it.
        let factor = reduction.scale * (reduction.kind == .sum ? Float(indices.count) : 1)
        var grads = [String: Tensor]()
        if gradients {
            for name in parameters {
                let expected = plan.inputs.parameters[name]!.shape
                var g = try backend.tensor("grad.\(name)", of: response, shape: expected, op: op)
                if factor != 1 { g = Tensor(shape: g.shape, scalars: g.scalars.map { $0 * factor }) }
                grads[name] = g
            }
        }
        return LastTokenLoss(loss: mean * factor, rowLosses: rowLosses, gradients: grads, logits: logits)
    }

    private func checkLastOnly(_ plan: InterventionPlan) throws {
        guard plan.interventions.allSatisfy({ $0.position == .last }) else {
            throw BackendError.badValue("last-token calls take interventions at position .last only")
        }
    }
}

/// −log softmax(row)[target], in double precision.
func crossEntropy(_ row: ArraySlice<Float>, target: Int) -> Float {
    let m = Double(row.max() ?? 0)
    let logSum = log(row.reduce(0.0) { $0 + exp(Double($1) - m) }) + m
    return Float(logSum - Double(row[row.startIndex + target]))
}
