import Foundation
import Methods

/// One variable of `bench ablate`, varied alone around the paper's defaults.
enum Ablation: String, CaseIterable {
    case siteEmbeddingPrompts = "site-prompts"
    case siteEmbeddingShots = "site-shots"
    case siteSteps = "site-steps"
    case siteLearningRate = "site-lr"
    case siteTaskAgnostic = "site-task-agnostic"
    case functionVectorHeads = "fv-heads"
    case functionVectorLayer = "fv-layer"
    case ltvProfile = "ltv-profile"

    /// The method family whose default the variants differ from.
    var family: Family {
        switch self {
        case .siteEmbeddingPrompts, .siteEmbeddingShots, .siteSteps, .siteLearningRate, .siteTaskAgnostic: return .site
        case .functionVectorHeads, .functionVectorLayer: return .functionVector
        case .ltvProfile: return .ltv
        }
    }

    enum Family: String, CaseIterable { case site, functionVector = "fv", ltv }

    /// The setting that varies, as shown in the table.
    var variable: String {
        switch self {
        case .siteEmbeddingPrompts: return "embedding_prompts (M)"
        case .siteEmbeddingShots: return "embedding_shots (N)"
        case .siteSteps: return "steps"
        case .siteLearningRate: return "lr"
        case .siteTaskAgnostic: return "task_agnostic"
        case .functionVectorHeads: return "top_heads (k)"
        case .functionVectorLayer: return "layer"
        case .ltvProfile: return "profile"
        }
    }
}

/// A method with one setting changed from its family's default (or the default itself).
struct AblationVariant {
    var ablation: Ablation?
    /// The value of the varied setting, e.g. "5" or "L/6 = 5"; "default" for the default.
    var value: String
    var method: any TaskMethod

    /// Method name and canonical settings: what tells two variants' rows apart.
    var key: String { "\(method.name)|\(method.settings.canonical)" }
}

/// The variants of `bench ablate` for a model of `layerCount` layers: SITE with M ∈ {1, 5, 10, 50}
/// prompts, N ∈ {1, 5, 10} shots, steps ∈ {50, 100, 400}, lr ∈ {0.05, 0.2, 1.0} and one
/// task-agnostic α; FV with k ∈ {1, 5, 10, 20} heads and the layer L/6, L/3, L/2, 2L/3; LTV with
/// the paper's recipe vs the same-budget default. The default of each family appears once.
struct AblationGrid {
    var layerCount: Int

    static let siteEmbeddingPrompts = [1, 5, 10, 50]
    static let siteEmbeddingShots = [1, 5, 10]
    static let siteSteps = [50, 100, 400]
    static let siteLearningRates: [Float] = [0.05, 0.2, 1.0]
    static let functionVectorHeads = [1, 5, 10, 20]

    func defaultVariant(_ family: Ablation.Family) -> AblationVariant {
        switch family {
        case .site: return AblationVariant(ablation: nil, value: "default", method: SoftInjectionMethod())
        case .functionVector: return AblationVariant(ablation: nil, value: "default", method: FunctionVectorMethod())
        case .ltv: return AblationVariant(ablation: nil, value: "default", method: LearnedTaskVectorMethod(.sameBudget))
        }
    }

    /// The non-default variants of `ablation`, in the order of its values.
    func variants(_ ablation: Ablation) -> [AblationVariant] {
        let base = SoftInjectionSettings()
        func site<V: Equatable>(_ values: [V], _ current: V, _ change: (inout SoftInjectionSettings, V) -> Void) -> [AblationVariant] {
            values.filter { $0 != current }.map { value in
                var s = base
                change(&s, value)
                return AblationVariant(ablation: ablation, value: "\(value)", method: SoftInjectionMethod(settings: s))
            }
        }
        switch ablation {
        case .siteEmbeddingPrompts: return site(Self.siteEmbeddingPrompts, base.embeddingPrompts) { $0.embeddingPrompts = $1 }
        case .siteEmbeddingShots: return site(Self.siteEmbeddingShots, base.embeddingShots) { $0.embeddingShots = $1 }
        case .siteSteps: return site(Self.siteSteps, base.steps) { $0.steps = $1 }
        case .siteLearningRate: return site(Self.siteLearningRates, base.learningRate) { $0.learningRate = $1 }
        case .siteTaskAgnostic: return site([false, true], base.taskAgnostic) { $0.taskAgnostic = $1 }
        case .functionVectorHeads:
            let base = FunctionVectorMethod()
            return Self.functionVectorHeads.filter { $0 != base.topHeads }.map {
                AblationVariant(ablation: ablation, value: "\($0)", method: FunctionVectorMethod(topHeads: $0))
            }
        case .functionVectorLayer:
            // The default layer is L/3 (unset); the others are set explicitly. A fraction that
            // lands on L/3's layer for a small L would duplicate the default and is left out.
            let defaultLayer = FunctionVectorMethod().resolvedLayer(layerCount: layerCount)
            var seen = Set([defaultLayer])
            return [("L/6", layerCount / 6), ("L/2", layerCount / 2), ("2L/3", 2 * layerCount / 3)].compactMap { name, layer in
                guard seen.insert(layer).inserted else { return nil }
                return AblationVariant(ablation: ablation, value: "\(name) = \(layer)", method: FunctionVectorMethod(layer: layer))
            }
        case .ltvProfile:
            return [AblationVariant(ablation: ablation, value: LTVSettings.Profile.paper.rawValue, method: LearnedTaskVectorMethod(.paper()))]
        }
    }

    /// Every method to run for `ablations`: each involved family's default first, then the
    /// variants, without repeats.
    func plan(_ ablations: [Ablation]) -> [AblationVariant] {
        var result = [AblationVariant](), keys = Set<String>()
        for family in Ablation.Family.allCases where ablations.contains(where: { $0.family == family }) {
            for variant in [defaultVariant(family)] + ablations.filter({ $0.family == family }).flatMap(variants)
            where keys.insert(variant.key).inserted {
                result.append(variant)
            }
        }
        return result
    }
}

extension AblationGrid {
    /// The default's value of the variable `ablation` varies, for its table row.
    func defaultValue(_ ablation: Ablation) -> String {
        let site = SoftInjectionSettings(), fv = FunctionVectorMethod()
        switch ablation {
        case .siteEmbeddingPrompts: return "\(site.embeddingPrompts)"
        case .siteEmbeddingShots: return "\(site.embeddingShots)"
        case .siteSteps: return "\(site.steps)"
        case .siteLearningRate: return "\(site.learningRate)"
        case .siteTaskAgnostic: return "\(site.taskAgnostic)"
        case .functionVectorHeads: return "\(fv.topHeads)"
        case .functionVectorLayer: return "L/3 = \(fv.resolvedLayer(layerCount: layerCount))"
        case .ltvProfile: return LTVSettings.sameBudget.profile.rawValue
        }
    }
}
