// An `InterventionPlan` as the worker's `interventions` list and float32 payloads (PROTOCOL.md,
// "Interventions" and "Values").
import Tensors

extension InterventionValue {
    /// The protocol's value expression.
    var wire: Any {
        switch self {
        case .named(let name): return name
        case .element(let base, let index): return ["ref": base.wire, "index": index] as [String: Any]
        case .gather(let base, let rows): return ["gather": base.wire, "rows": rows] as [String: Any]
        case .sigmoid(let base): return ["sigmoid": base.wire]
        case .weightedSum(let w, let v): return ["weighted_sum": ["weights": w.wire, "vectors": v.wire]]
        case .stack(let parts, let repeats): return ["stack": parts.map(\.wire), "repeats": repeats] as [String: Any]
        }
    }
}

extension InterventionSite {
    var wireName: String {
        switch self {
        case .attentionHeads: return "attention-heads"
        case .residual: return "residual"
        }
    }

    /// The site a capture listing names.
    init?(wireName: String, layer: Int) {
        switch wireName {
        case "attention-heads": self = .attentionHeads(layer: layer)
        case "residual": self = .residual(layer: layer)
        default: return nil
        }
    }
}

extension InterventionPlan {
    /// The `interventions` field.
    var wireInterventions: [[String: Any]] {
        interventions.map { request in
            var item: [String: Any] = ["site": request.site.wireName, "layer": request.site.layer]
            switch request.position {
            case .last: item["position"] = "last"
            case .indices(let indices): item["position"] = indices
            }
            switch request.action {
            case .capture:
                item["action"] = "capture"
            case .mixHeads(let target, let weights):
                item["action"] = "mixHeads"
                item["target"] = target.wire
                item["weights"] = weights.wire
            case .replaceHead(let heads, let value):
                item["action"] = "replaceHead"
                item["heads"] = heads
                item["value"] = value.wire
            case .add(let value):
                item["action"] = "add"
                item["value"] = value.wire
            case .replace(let value):
                item["action"] = "replace"
                item["value"] = value.wire
            }
            return item
        }
    }

    /// Constants and parameters as float32 payloads, in name order.
    var wirePayloads: [WorkerPayload] {
        let all = inputs.constants.merging(inputs.parameters) { $1 }
        return all.keys.sorted().map { WorkerPayload(name: $0, shape: all[$0]!.shape, floats: all[$0]!.scalars) }
    }
}
