import Foundation
import Methods
import Testing
@testable import Bench

@Suite struct HeadsOverlapTests {
    func heads(_ pairs: [(Int, Int)]) -> Set<AttentionHead> { Set(pairs.map { AttentionHead(layer: $0.0, head: $0.1) }) }

    @Test func onlyHeatmapsOfTasksNoLongerAnalysedAreStale() throws {
        let folder = try makeTemporaryDirectory("heads-stale")
        for name in ["alpha-antonym.svg", "alpha-mean.svg", "alpha-ag_news.svg", "alpha-x.svg", "top10-overlap.md", "patching.csv"] {
            try Data("<svg/>".utf8).write(to: folder.appendingPathComponent(name))
        }
        let stale = try HeadAnalysisRun.staleHeatmaps(in: folder, tasks: ["antonym", "capitalize"])
        #expect(stale.map(\.lastPathComponent) == ["alpha-ag_news.svg", "alpha-x.svg"])
    }

    @Test func jaccardOnHandMadeSets() {
        let a = heads([(0, 0), (0, 1), (1, 2), (3, 4)])
        let b = heads([(0, 1), (1, 2), (2, 2)])
        #expect(jaccard(a, b) == 2.0 / 5.0)
        #expect(jaccard(a, a) == 1)
        #expect(jaccard(a, heads([(9, 9)])) == 0)
        #expect(jaccard([], []) == 1)
    }

    @Test func tableValuesAndRenderings() {
        let a = heads([(0, 0), (0, 1), (1, 2), (3, 4)])
        let b = heads([(0, 1), (1, 2), (2, 2)])
        let c = heads([(0, 0), (5, 5), (6, 6), (7, 7)])
        let table = HeadOverlapTable(tasks: ["antonym", "capitalize", "sentiment"], topHeads: [a, b, c], k: 4)
        #expect(table.matrix[0] == [1, 0.4, 1.0 / 7.0])
        #expect(table.matrix[1] == [0.4, 1, 0])
        #expect(table.matrix[2][0] == table.matrix[0][2])
        #expect(table.csv() == """
            task,antonym,capitalize,sentiment
            antonym,1.0000,0.4000,0.1429
            capitalize,0.4000,1.0000,0.0000
            sentiment,0.1429,0.0000,1.0000

            """)
        let markdown = table.markdown()
        #expect(markdown.contains("| antonym | 1.00 | 0.40 | 0.14 |"))
        #expect(markdown.contains("|---|---:|---:|---:|"))
        // Mean of the six off-diagonal values: 2·(0.4 + 1/7 + 0) / 6.
        #expect(abs(table.meanOffDiagonal! - (0.4 + 1.0 / 7.0) / 3) < 1e-12)
        #expect(markdown.contains("Mean over task pairs: 0.181"))
    }

    @Test func reportsRenderEveryTask() {
        let cross = CrossTaskReport(tasks: ["a", "b"], accuracy: [[0.5, 0.25], [0, 1]], items: [4, 8])
        #expect(cross.csv() == "alpha_task,items,embedding_a,embedding_b\na,4,0.5000,0.2500\nb,8,0.0000,1.0000\n")
        #expect(cross.markdown().contains("| b (8 items) | 0.000 | 1.000 |"))
        var patching = PatchingReport(k: 10)
        patching.rows = [.init(task: "a", site: 0.5, highest: 0.25, lowest: 0, items: 4),
                         .init(task: "b", site: 1, highest: 0.75, lowest: 0.5, items: 4)]
        #expect(patching.csv() == "task,items,site,top10_alpha_heads,bottom10_alpha_heads\na,4,0.5000,0.2500,0.0000\nb,4,1.0000,0.7500,0.5000\n")
        #expect(patching.markdown().contains("| mean | | 0.750 | 0.500 | 0.250 |"))
    }

    @Test func headsCommandParsesAndValidates() throws {
        let command = try #require(try BenchCommand.parseAsRoot(
            ["heads", "--model", "smollm2-135m", "--tasks", "antonym,capitalize", "--top-k", "5", "--max-items", "8", "--no-evaluation"]) as? HeadsCommand)
        #expect(command.tasks == "antonym,capitalize")
        #expect(command.topK == 5 && command.sweep.maxItems == 8 && command.noEvaluation)
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["heads", "--top-k", "0"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["heads", "--cross-tasks", "-1"]) }
        // One seed's artifacts at a time (the default is seed 0).
        #expect(try (BenchCommand.parseAsRoot(["heads", "--seed", "2"]) as? HeadsCommand)?.sweep.seedList() == [2])
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["heads", "--seeds", "0,1"]) }
    }

    /// The settings `bench heads` asks the cache for are those `bench run` prepared SITE with on
    /// the same options: the method's defaults, the seed, the model, the backend's settings.
    @Test func headsAsksForTheSettingsARunPreparedWith() throws {
        let native = try #require(try BenchCommand.parseAsRoot(["heads", "--compute", "bfloat16"]) as? HeadsCommand)
        #expect(native.backend.settings(compute: native.sweep.compute) == ["compute": "bfloat16"])
        #expect(native.backend.settings(compute: .float32) == [:], "float32 adds nothing, as NativeBackend.settings")
        let torch = try #require(try BenchCommand.parseAsRoot(["heads", "--backend", "torch", "--dtype", "bfloat16"]) as? HeadsCommand)
        #expect(torch.backend.settings(compute: torch.sweep.compute) == ["backend": "torch", "device": "cpu", "dtype": "bfloat16"])
    }
}
