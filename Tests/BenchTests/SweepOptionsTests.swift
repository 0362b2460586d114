import ArgumentParser
import Methods
import Testing
@testable import Bench

/// `bench run` (and `bench --all`, `ablate`, `heads`) check the method settings by the methods'
/// own rules, so a value the command line accepts never fails every cell later.
@Suite struct SweepOptionsTests {
    /// The message of the error parsing `command` then `arguments` throws; nil when they parse.
    static func refusal(_ arguments: [String], command: [String] = ["run", "--tasks", "antonym"]) -> String? {
        do {
            _ = try BenchCommand.parseAsRoot(command + arguments)
            return nil
        } catch {
            return BenchCommand.message(for: error)
        }
    }

    @Test(arguments: [
        (["--site-shots", "0"], "--site-shots", "embedding_shots"),
        (["--site-prompts", "0"], "--site-prompts", "embedding_prompts"),
        (["--site-steps=-1"], "--site-steps", "steps"),
        (["--site-lr", "0"], "--site-lr", "lr"),
        (["--site-lr", "inf"], "--site-lr", "lr"),
        (["--site-shots", "0", "--site-task-agnostic"], "--site-shots", "embedding_shots"),
        (["--fv-heads", "0"], "--fv-heads", "top_heads"),
        (["--fv-layer=-1"], "--fv-layer", "layer"),
    ])
    func methodSettingsOutsideTheMethodsRangeAreRefused(arguments: [String], flag: String, setting: String) throws {
        let message = try #require(Self.refusal(arguments))
        #expect(message.contains(flag) && message.contains("setting \(setting) ="), "\(message)")
    }

    @Test func valuesTheMethodsAcceptPass() throws {
        #expect(Self.refusal(["--site-steps", "0", "--site-shots", "1", "--site-prompts", "1", "--site-lr", "1e-3"]) == nil)
        #expect(Self.refusal(["--fv-heads", "1", "--fv-layer", "0", "--ltv-profile", "paper"]) == nil)
        #expect(Self.refusal([]) == nil)
    }

    /// The command line's rules are the methods': what it lets through, the method accepts.
    @Test func theCommandLineAndTheMethodsAgree() throws {
        var settings = MethodHyperparameters()
        settings.site.embeddingShots = 0
        #expect(throws: MethodError.invalidSetting(method: "site", setting: "embedding_shots", value: "0", allowed: "≥ 1")) {
            try settings.validate()
        }
        #expect(throws: MethodError.self) { try SoftInjectionMethod(settings: settings.site).validate() }
        settings = MethodHyperparameters()
        settings.functionVectorLayer = -1
        #expect(throws: MethodError.invalidSetting(method: "function-vectors", setting: "layer", value: "-1", allowed: "≥ 0")) {
            try settings.validate()
        }
        try MethodHyperparameters().validate()
    }

    @Test func commandLineOnlyRulesStay() {
        #expect(Self.refusal(["--shots", "0"])?.contains("--shots must be at least 1") == true)
        #expect(Self.refusal(["--batch-size", "0"])?.contains("--batch-size") == true)
        #expect(Self.refusal(["--max-items", "0"])?.contains("--max-items") == true)
        #expect(Self.refusal(["--joint-tasks", "0"])?.contains("--joint-tasks must be at least 1") == true)
        #expect(Self.refusal(["--journal-part-tokens", "0"])?.contains("--journal-part-tokens must be at least 1") == true)
    }

    @Test func journalPartTokensReachTheEvaluation() throws {
        let run = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--journal-part-tokens", "5000"]) as? RunCommand)
        #expect(run.sweep.journalPartTokens == 5000)
        let plain = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym"]) as? RunCommand)
        #expect(plain.sweep.journalPartTokens == EvaluationOptions.defaultJournalPartTokens)
    }

    /// Commands that read part of the group refuse the rest by name rather than ignore them; a
    /// flag given its default value changes nothing and passes.
    @Test func partialReadersRefuseTheFlagsTheyIgnore() throws {
        func refusal(_ arguments: [String]) -> String? { Self.refusal(arguments, command: []) }
        let shots = try #require(refusal(["heads", "--shots", "5"]))
        #expect(shots.contains("--shots") && shots.contains("--site-shots"), "\(shots)")
        let two = try #require(refusal(["heads", "--fv-heads", "3", "--results", "elsewhere"]))
        #expect(two.hasPrefix("--fv-heads, --results: bench heads does not read them"), "\(two)")
        for flags in [["--ltv-profile", "paper"], ["--answers", "a"], ["--manifest", "m.json"], ["--journal-part-tokens", "7"], ["--fv-layer", "2"]] {
            #expect(refusal(["heads"] + flags)?.contains(flags[0]) == true, "\(flags)")
        }
        #expect(refusal(["heads", "--shots", "10", "--site-shots", "5", "--max-items", "20"]) == nil)
        let ablate = try #require(refusal(["ablate", "--fv-layer", "2", "--site-lr", "0.5"]))
        #expect(ablate.hasPrefix("--site-lr, --fv-layer: bench ablate sets the method settings itself"), "\(ablate)")
        #expect(refusal(["ablate", "--results", "x"])?.contains("not --results") == true)
        #expect(refusal(["ablate"]) == nil)
    }
}
