import ArgumentParser
import Methods
import Testing
@testable import Bench

@Suite struct CommaListTests {
    @Test func piecesAreTrimmedAndEmptyOnesDropped() {
        #expect(CommaList(argument: " a,, b ,c ").items == ["a", "b", "c"])
        #expect(CommaList(argument: "").items.isEmpty && CommaList(argument: " , ").items.isEmpty)
        #expect(CommaList(argument: "a, b").description == "a,b")
        #expect(CommaList(argument: " all ").isAll && !CommaList(argument: "all,site").isAll)
        let literal: CommaList = "x,y"
        #expect(literal == CommaList(["x", "y"]))
    }

    /// Every list option of `bench` parses the same way: spaces around the commas are allowed.
    @Test func everyListOptionTrimsItsPieces() throws {
        let run = try #require(try BenchCommand.parseAsRoot(
            ["run", "--tasks", "antonym, capitalize", "--methods", "site, icl", "--model", "a, b", "--model", "c",
             "--seeds", "1, 2"]) as? RunCommand)
        #expect(try run.selectedTasks().map(\.name) == ["antonym", "capitalize"])
        #expect(try run.selectedMethods() == [.site, .icl])
        #expect(run.models == ["a", "b", "c"])
        #expect(try run.sweep.seedList() == [1, 2])

        let ablate = try #require(try BenchCommand.parseAsRoot(
            ["ablate", "--ablations", "site-steps, fv-heads", "--tasks", "antonym, sentiment"]) as? AblateCommand)
        #expect(try ablate.selectedAblations() == [.siteSteps, .functionVectorHeads])
        #expect(ablate.tasks.items == ["antonym", "sentiment"])

        let prompt = try #require(try BenchCommand.parseAsRoot(
            ["prompt", "--task", "antonym", "--index", "0", "--demos", " 3, 1,"]) as? PromptCommand)
        #expect(try prompt.parsedDemos() == [3, 1])

        let steer = try #require(try BenchCommand.parseAsRoot(
            ["regression", "steer", "--checkpoint", "m.safetensors", "--methods", "fv, site", "ltv"]) as? RegressionCommand.Steer)
        #expect(try steer.kinds() == [.fv, .site, .ltv])

        let heads = try #require(try BenchCommand.parseAsRoot(["heads", "--tasks", "antonym , sentiment"]) as? HeadsCommand)
        #expect(heads.tasks?.items == ["antonym", "sentiment"])

        let all = try #require(try BenchCommand.parseAsRoot(["--all", "--models", "smollm2-135m, gemma3-270m"]) as? WholeBenchmarkCommand)
        #expect(all.models?.items == ["smollm2-135m", "gemma3-270m"])
    }

    @Test func defaultsAndAllKeepTheirMeaning() throws {
        let run = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "all"]) as? RunCommand)
        #expect(try run.selectedMethods() == MethodKind.allCases)
        #expect(run.models == ["smollm2-135m"])
        #expect(try run.sweep.seedList() == [0])
        let prompt = try #require(try BenchCommand.parseAsRoot(["prompt", "--task", "antonym", "--index", "0", "--demos", ""]) as? PromptCommand)
        #expect(try prompt.parsedDemos() == [])
        // The help shows a list default as it would be typed.
        #expect(BenchCommand.helpMessage(for: AblateCommand.self, columns: 1000)
            .contains("(default: antonym,capitalize,country-capital,english-french,sentiment,person-occupation)"))
    }

    @Test(arguments: [["run", "--tasks", "antonym", "--methods", "site, sight"], ["run", "--tasks", "antonym", "--seeds", "1, x"],
                      ["run", "--tasks", "antonym, nope"], ["ablate", "--ablations", "site-steps, nope"],
                      ["prompt", "--task", "antonym", "--index", "0", "--demos", "1, -2"], ["ablate", "--tasks", " , "]])
    func badItemsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(arguments) }
    }
}
