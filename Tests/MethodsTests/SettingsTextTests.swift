import Foundation
import Testing
@testable import Methods

/// Method names, the typed settings and their text form.
@Suite struct SettingsTextTests {
    @Test func methodNamesReadBackFromTheirText() {
        let names: [MethodName] = [.zeroShot, .icl(shots: 10), .icl(shots: 3), .site, .siteAgnostic, .functionVectors,
                                   .functionVectorsFixedHeads, .taskVectors, .ltv, .ltvPaper]
        #expect(names.map(\.description) == ["zero-shot", "icl-10", "icl-3", "site", "site-agnostic", "function-vectors",
                                             "function-vectors-fixed-heads", "task-vectors", "ltv", "ltv-paper"])
        #expect(names.map { MethodName($0.description) } == names)
        for text in ["", "icl", "icl-0", "icl-03", "icl--1", "fv", "tv", "SITE", "site "] {
            #expect(MethodName(text) == nil, "\(text)")
        }
        #expect(names.map(\.kind) == [.zeroShot, .icl, .icl, .site, .site, .functionVector, .functionVector, .taskVector, .ltv, .ltv])
    }

    /// The command line takes each method by its name and FV and TV by their short names too.
    @Test func methodKindsAreSelectedByNameOrShortName() {
        #expect(MethodKind.allCases.map(\.rawValue) == ["zero-shot", "icl", "site", "function-vectors", "task-vectors", "ltv"])
        for (text, kind) in [("fv", MethodKind.functionVector), ("function-vectors", .functionVector), ("tv", .taskVector),
                             ("task-vectors", .taskVector), ("zero-shot", .zeroShot), ("icl", .icl), ("site", .site), ("ltv", .ltv)] {
            #expect(MethodKind(selecting: text) == kind, "\(text)")
        }
        #expect(MethodKind(selecting: "icl-10") == nil && MethodKind(selecting: "FV") == nil)
        #expect(MethodKind.spellings == "zero-shot, icl, site, function-vectors (fv), task-vectors (tv), ltv")
    }

    /// Settings text as the code before the typed settings wrote it (the stored rows'), for every
    /// method and variant; and the typed settings read back from it.
    @Test func typedSettingsRenderTheStoredText() throws {
        var site = SoftInjectionSettings()
        site.learningRate = 0.05
        site.taskAgnostic = true
        let cases: [(any TaskMethod, String)] = [
            (PromptOnlyMethod.zeroShot, "shots=0"),
            (PromptOnlyMethod.tenShot, "shots=10"),
            (SoftInjectionMethod(settings: site), "embedding_prompts=50;embedding_shots=10;keep_best=true;lr=0.05;prompts_per_step=1;"
                + "steps=400;task_agnostic=true;validate_every=50;validation_items=100"),
            (FunctionVectorMethod(layer: 5), "clean_prompts=100;corrupted_prompts=25;layer=5;shots=10;top_heads=10"),
            (FunctionVectorMethod(heads: .fixed([AttentionHead(layer: 9, head: 4), AttentionHead(layer: 0, head: 1)])),
             "clean_prompts=100;heads=9.4,0.1;layer=L/3;shots=10"),
            (TaskVectorMethod(), "layer=best-valid;prompts=50;shots=10;valid_items=50"),
            (TaskVectorMethod(layer: 12), "layer=12;prompts=50;shots=10;valid_items=50"),
            (LearnedTaskVectorMethod(.paper()), "initialisation=gaussian;learning_rate=5e-05;mean_prompts=50;mean_shots=10;profile=paper;"
                + "prompts_per_step=1;selection=best-validation;shuffled_labels=true;steps=400;training_prompts=100;training_shots=5;"
                + "validate_every=50;validation_items=100"),
        ]
        for (method, text) in cases {
            #expect(method.settings.canonical == text)
            let back = try method.name.method(settings: SettingsText(canonical: text))
            #expect(back.name == method.name && back.settings == method.settings)
        }
    }

    /// Artifact names: the hashes stored in results/artifacts (FV and TV on SmolLM2, seed 0) and
    /// the hash of SITE's and LTV's default settings with the seed and the model, as the cache
    /// has always named them (SHA-256 of "k=v;k=v", keys sorted).
    @Test func artifactSettingsHashAsTheStoredArtifacts() throws {
        let expected: [(any TaskMethod, String)] = [
            (FunctionVectorMethod(), "f86f804c1da6e963b3abca31ab92b8d408fd0009f8da67b7c1c7efaf5f15c47d"),
            (FunctionVectorMethod(layer: 20), "f86f804c1da6e963b3abca31ab92b8d408fd0009f8da67b7c1c7efaf5f15c47d"),
            (TaskVectorMethod(), "de348571a7aec0388c99261778920d15555455f11c098fcea25246eb2ccd3a25"),
            (SoftInjectionMethod(), "9b510764b10930cbdb426c84bfc087c90d51653389bb0a24aef349c6c4b5edf3"),
            (LearnedTaskVectorMethod(), "4bd2e2864ce8b20e4c4ba8111c85690c18e0fee5b17c55117c8043a3ad4b406c"),
        ]
        for (method, hash) in expected {
            #expect(method.artifactSettings(seed: 0, model: "smollm2-135m").hash == hash, "\(method.name)")
        }
        // The FV artifact's stored settings (without the layer) read back as the method.
        let stored = SettingsText(["clean_prompts": "100", "corrupted_prompts": "25", "model": "smollm2-135m", "seed": "0",
                                   "shots": "10", "top_heads": "10"])
        var methodOnly = stored
        methodOnly["model"] = nil
        methodOnly["seed"] = nil
        let fv = try MethodName.functionVectors.method(settings: methodOnly)
        #expect(fv.artifactSettings(seed: 0, model: "smollm2-135m") == stored)
    }

    @Test func badSettingsTextIsRefusedWithTheKey() {
        #expect(throws: TextFieldsError.badValue(key: "settings", value: "shots=1;shots=2", expected: "k=v pairs with distinct keys, separated by ;")) {
            try SettingsText(canonical: "shots=1;shots=2")
        }
        #expect(throws: TextFieldsError.badValue(key: "settings", value: "shots", expected: "k=v pairs with distinct keys, separated by ;")) {
            try SettingsText(canonical: "shots")
        }
        #expect(throws: TextFieldsError.badValue(key: "shots", value: "ten", expected: "an integer")) {
            try MethodName.icl(shots: 10).method(settings: SettingsText(["shots": "ten"]))
        }
        #expect(throws: TextFieldsError.missingField(key: "steps")) {
            try SettingsText(canonical: "embedding_prompts=50;embedding_shots=10;keep_best=true;lr=0.2;prompts_per_step=1;"
                + "task_agnostic=false;validate_every=50;validation_items=100").decode(SoftInjectionSettings.self)
        }
        #expect(throws: TextFieldsError.badValue(key: "keep_best", value: "yes", expected: "true or false")) {
            try SettingsText(canonical: "embedding_prompts=50;embedding_shots=10;keep_best=yes;lr=0.2;prompts_per_step=1;steps=4;"
                + "task_agnostic=false;validate_every=50;validation_items=100").decode(SoftInjectionSettings.self)
        }
        #expect(throws: TextFieldsError.badValue(key: "layer", value: "L/2", expected: "a layer index or best-valid")) {
            try MethodName.taskVectors.method(settings: SettingsText(canonical: "layer=L/2;prompts=50;shots=10;valid_items=50"))
        }
        // Settings of another variant than the name says.
        #expect(throws: TextFieldsError.self) { try MethodName.zeroShot.method(settings: SettingsText(["shots": "10"])) }
        #expect(throws: TextFieldsError.self) {
            try MethodName.ltv.method(settings: LearnedTaskVectorMethod(.paper()).settings)
        }
    }
}
