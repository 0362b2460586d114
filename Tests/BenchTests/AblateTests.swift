import Foundation
import Methods
import Testing
@testable import Bench

@Suite struct AblateTests {
    let grid = AblationGrid(layerCount: 30)

    /// The keys whose values differ between two settings dictionaries.
    func changedKeys(_ a: [String: String], _ b: [String: String]) -> Set<String> {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }
    }

    @Test func everyVariantChangesOneSettingOfItsDefault() {
        let expectedKey: [Ablation: String] = [
            .siteEmbeddingPrompts: "embedding_prompts", .siteEmbeddingShots: "embedding_shots", .siteSteps: "steps",
            .siteLearningRate: "lr", .siteTaskAgnostic: "task_agnostic", .functionVectorHeads: "top_heads",
            .functionVectorLayer: "layer",
        ]
        for ablation in Ablation.allCases {
            let base = grid.defaultVariant(ablation.family)
            for variant in grid.variants(ablation) {
                #expect(variant.key != base.key, "\(ablation) \(variant.value) duplicates the default")
                let changed = changedKeys(base.method.settings.values, variant.method.settings.values)
                if let key = expectedKey[ablation] {
                    #expect(changed == [key], "\(ablation) \(variant.value) changes \(changed)")
                } else {
                    // ltv-profile switches the whole recipe: the profile is among what changes.
                    #expect(changed.contains("profile"))
                }
            }
        }
    }

    @Test func enumeratesThePaperValuesWithoutTheDefault() {
        #expect(grid.variants(.siteEmbeddingPrompts).map(\.value) == ["1", "5", "10"])
        #expect(grid.variants(.siteEmbeddingShots).map(\.value) == ["1", "5"])
        #expect(grid.variants(.siteSteps).map(\.value) == ["50", "100"])
        #expect(grid.variants(.siteLearningRate).map(\.value) == ["0.05", "1.0"])
        #expect(grid.variants(.siteTaskAgnostic).map(\.method.name) == [.siteAgnostic])
        #expect(grid.variants(.functionVectorHeads).map(\.value) == ["1", "5", "20"])
        // L = 30: L/6 = 5, L/3 = 10 (the default), L/2 = 15, 2L/3 = 20.
        #expect(grid.variants(.functionVectorLayer).map(\.value) == ["L/6 = 5", "L/2 = 15", "2L/3 = 20"])
        #expect(grid.defaultValue(.functionVectorLayer) == "L/3 = 10")
        #expect(grid.variants(.ltvProfile).map(\.method.name) == [.ltvPaper])
    }

    @Test func planRunsEachDefaultOnceAndNoDuplicates() {
        let plan = grid.plan(Ablation.allCases)
        #expect(plan.count == 3 + 3 + 2 + 2 + 2 + 1 + 3 + 3 + 1)
        #expect(Set(plan.map(\.key)).count == plan.count)
        #expect(plan.filter { $0.ablation == nil }.count == 3)
        // Only the families asked for.
        let site = grid.plan([.siteSteps, .siteLearningRate])
        #expect(site.map(\.value) == ["default", "50", "100", "0.05", "1.0"])
        #expect(site.allSatisfy { $0.method is SoftInjectionMethod })
    }

    /// The cache keeps a folder per settings: every variant's artifact is apart from the defaults'
    /// by its settings, except FV's layer variants, which share the default's (the FV artifact
    /// does not depend on the layer).
    @Test func variantsKeepTheirArtifactsApartByTheirSettings() throws {
        let plan = grid.plan(Ablation.allCases)
        func artifactName(_ variant: AblationVariant) -> String {
            "\(variant.method.name)/\(variant.method.artifactSettings(seed: 0, model: "m").hash)"
        }
        let fvDefault = try #require(plan.first { $0.ablation == nil && $0.method is FunctionVectorMethod })
        let layers = plan.filter { $0.ablation == .functionVectorLayer }
        #expect(!layers.isEmpty && layers.allSatisfy { artifactName($0) == artifactName(fvDefault) })
        let separate = plan.filter { $0.ablation != .functionVectorLayer }.map(artifactName)
        #expect(Set(separate).count == separate.count)
    }

    @Test func smallModelsDropLayersThatCollideWithTheDefault() {
        // L = 3: L/6 = 0, L/3 = 1 (default), L/2 = 1 (dropped), 2L/3 = 2.
        let values = AblationGrid(layerCount: 3).variants(.functionVectorLayer).map(\.value)
        #expect(values == ["L/6 = 0", "2L/3 = 2"])
    }

    @Test func tableShowsEveryValueAndTheMean() {
        let table = AblationTable(
            ablation: .siteSteps, tasks: ["antonym", "capitalize"],
            variants: [("400 (default)", "d"), ("50", "a"), ("100", "b")],
            accuracy: ["d": ["antonym": 0.5, "capitalize": 1], "a": ["antonym": 0.25, "capitalize": 0.75], "b": ["antonym": 0.5]])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines[0] == "site-steps: steps")
        #expect(lines[1].hasPrefix("steps") && lines[1].hasSuffix("mean"))
        #expect(lines[2].hasPrefix("400 (default)") && lines[2].hasSuffix("0.750"))
        #expect(lines[3].hasSuffix("0.250      0.750    0.500"))
        #expect(lines[4].hasSuffix("0.500          -        -"))
    }

    @Test func ablateCommandParsesAndValidates() throws {
        let command = try #require(try BenchCommand.parseAsRoot(
            ["ablate", "--model", "smollm2-135m", "--tasks", "antonym", "--ablations", "site-steps,fv-layer", "--max-items", "4", "--seed", "2"]) as? AblateCommand)
        #expect(try command.selectedAblations() == [.siteSteps, .functionVectorLayer])
        #expect(command.sweep.maxItems == 4 && command.seed == 2)
        let defaults = try #require(try BenchCommand.parseAsRoot(["ablate"]) as? AblateCommand)
        #expect(try defaults.selectedAblations() == Ablation.allCases)
        #expect(defaults.tasks == "antonym,capitalize,country-capital,english-french,sentiment,person-occupation")
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["ablate", "--ablations", "site-magic"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["ablate", "--max-items", "0"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["ablate", "--seeds", "1,2"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["ablate", "--site-steps", "3"]) }
        #expect(AblateCommand.helpMessage().contains("One variable at a time"))
    }
}
