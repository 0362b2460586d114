import ArgumentParser
import Foundation
import Methods
import ModelFormats
import Models
import Tasks
import Tensors

extension RegressionSteeringKind: ExpressibleByArgument {}

extension RegressionCommand {
    /// `bench regression steer`: FV, LTV and SITE on a trained regression transformer.
    struct Steer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Steer a trained regression transformer with FV, LTV and SITE; squared error / d per prompt length and shift.",
            discussion: """
                Head means at the query over 50 prompts of 10 examples; FV = top-10 heads by causal indirect \
                effect added after layer L/3; SITE mixing logits and LTV weights trained with Adam (lr 0.2 and 0.01, 400 \
                steps, prompts of 0-5 examples, validated every 50 steps). Scores the plain transformer and each \
                method on --prompts prompts per condition (in distribution, longer prompts, skewed covariance, \
                scaled x / y, noisy y, orthogonal query) at every k. Adds the rows to <output>/steering.csv (the result store) \
                (methods whose rows are already there are not rerun) and prints k = 0, 1, 2, 5, 10, 20.
                """)

        @Option(help: "A model.safetensors or checkpoint.safetensors written by `bench regression train`.")
        var checkpoint: String

        @Option(parsing: .upToNextOption, help: "Methods, comma-separated or repeated: fv, ltv, site.")
        var methods: [CommaList] = ["fv,ltv,site"]

        @Option(help: "Evaluation prompts per condition and prompt length.")
        var prompts: Int = 1280

        @Option(help: "Seed of the preparation and of the evaluation prompts.")
        var seed: UInt64 = 0

        @Option(help: "Adam steps of LTV and SITE.")
        var steps: Int = 400

        @Option(help: "Folder of steering.csv.")
        var output: String = "results/regression"

        @OptionGroup var threads: ThreadOptions

        func kinds() throws -> [RegressionSteeringKind] {
            return try methods.flatMap(\.items).map { name in
                guard let kind = RegressionSteeringKind(rawValue: name) else {
                    throw ValidationError("unknown method \(name); expected \(RegressionSteeringKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
        }

        func validate() throws {
            if prompts < 1 { throw ValidationError("--prompts must be at least 1") }
            if steps < 0 { throw ValidationError("--steps must be at least 0") }
            _ = try kinds()
        }

        func run() throws {
            threads.apply()
            retainFreedMemory()
            let start = Date()
            // The code that runs is the code at the start (a build may land during a long run).
            let codeVersion = RunProvenance.codeVersion()
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: checkpoint))
            let model = try RegressionTransformer(checkpoint: file)
            let options = try RegressionCheckpoint.options(in: file)
            var settings = RegressionSteeringSettings()
            settings.steps = steps
            var store = try CSVStore<RegressionResultRow>(url: URL(fileURLWithPath: output).appendingPathComponent("steering.csv"))
            func done(_ kind: RegressionSteeringKind?) -> Bool {
                let hash = RegressionSteeringBenchmark.settingsHash(settings.settings(for: kind, layerCount: model.configuration.layerCount))
                let method = kind?.rawValue ?? RegressionSteeringBenchmark.transformerMethod
                return store.rows.contains { $0.checkpoint == checkpoint && $0.method == method && $0.seed == seed && $0.settingsHash == hash }
            }
            let todo = try kinds().filter { !done($0) }
            let withTransformer = !done(nil)
            if todo.isEmpty && !withTransformer {
                print("every requested method already has rows in \(store.url.path); nothing to do")
                return
            }
            print("BLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount); running \(withTransformer ? ["transformer"] : [])\(todo.map(\.rawValue))")
            let rows = try RegressionSteeringBenchmark.run(
                model: model, functionClass: options.functionClass, trainedPoints: options.points, checkpointName: checkpoint,
                methods: todo, prompts: prompts, seed: seed, settings: settings, includeTransformer: withTransformer,
                log: { print($0); fflush(stdout) })
            let finishedAt = RunProvenance.timestamp()
            try store.append(contentsOf: rows.map { RegressionResultRow($0, codeVersion: codeVersion, finishedAt: finishedAt) })
            print(Self.table(rows))
            for method in Set(rows.map(\.method)).sorted() {
                if let row = rows.first(where: { $0.method == method }) { print("\(method): prep " + String(format: "%.1f s", row.prepSeconds)) }
            }
            print("wrote \(rows.count) rows to \(store.url.path) in " + String(format: "%.1f s", Date().timeIntervalSince(start)))
        }

        /// Error / d at k = 0, 1, 2, 5, 10, 20, one line per condition and method.
        static func table(_ rows: [RegressionSteeringRow]) -> String {
            let ks = [0, 1, 2, 5, 10, 20]
            var lines = ["condition            method      " + ks.map { String(repeating: " ", count: 8 - "k=\($0)".count) + "k=\($0)" }.joined()]
            var conditions = [String]()
            for r in rows where !conditions.contains(r.condition) { conditions.append(r.condition) }
            let order = [RegressionSteeringBenchmark.transformerMethod] + RegressionSteeringKind.allCases.map(\.rawValue)
            for condition in conditions {
                for method in order {
                    let at = rows.filter { $0.condition == condition && $0.method == method }
                    guard !at.isEmpty else { continue }
                    let cells = ks.map { k in
                        at.first { $0.inContextExamples == k }.map { String(format: "%8.3f", $0.squaredErrorPerDimension) } ?? "       -"
                    }
                    lines.append(condition.padding(toLength: 21, withPad: " ", startingAt: 0)
                                 + method.padding(toLength: 12, withPad: " ", startingAt: 0) + cells.joined())
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
