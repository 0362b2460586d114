import Testing
import Methods
import Models
import Tasks
import Tensors
import TestSupport

/// The compute precision in a sweep's cells: float32 adds nothing to the key (stored rows keep their
/// hashes); bfloat16 is its own cell, named in the row's settings.
@Suite struct SweepComputeTests {
    func cell(_ model: LanguageModel) throws -> SweepCell {
        let sweep = Sweep(
            model: model, tasks: [try TaskRegistry.site57.task(named: "antonym")], methods: [PromptOnlyMethod.tenShot],
            data: sharedData, seed: 0, evaluation: EvaluationOptions(scoring: .exactMatch, maxItems: 50), cache: nil)
        return try #require(sweep.cells.first)
    }

    @Test func float32KeepsTheKeyOfRowsStoredBeforeTheOption() throws {
        let cell = try cell(try SmolLM2.model)
        let keyed = SettingsText(["shots": "10", "seed": "0", "scoring": "exact-match", "max_items": "50"])
        #expect(cell.settingsHash == String(keyed.hash.prefix(12)))
        // The hash of the icl-10 rows of results/cap50 (seed 0, exact match, 50 items).
        #expect(cell.settingsHash == "bd64a118abd4")
        #expect(cell.settings == "shots=10")
    }

    @Test func bfloat16IsItsOwnCell() throws {
        let float32 = try SmolLM2.model
        let bf16 = LanguageModel(name: float32.name, decoder: try float32.decoder.computing(in: .bfloat16), tokenizer: float32.tokenizer)
        #expect(bf16.decoder.computePrecision == .bfloat16 && float32.decoder.computePrecision == .float32)
        let a = try cell(float32), b = try cell(bf16)
        #expect(a.settingsHash != b.settingsHash)
        #expect(b.settings == "compute=bfloat16;shots=10")
    }
}
