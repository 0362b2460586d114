import Foundation
import Methods
import ModelFormats
import Models
import Tensors

/// One run of the per-prompt protocol on a checkpoint, as `bench regression steer` and
/// `bench --all` do it: methods whose rows are stored for (checkpoint, seed, settings hash) are
/// not rerun, the transformer and baselines are stored once per settings, all new rows are
/// written in one atomic replace of <folder>/steering.csv, and figure.svg and figure.png are
/// drawn from the stored rows (alone when nothing is left to run).
struct PerPromptSteeringRun {
    var checkpoint: URL
    /// The checkpoint column.
    var checkpointName: String
    var folder: URL
    var methods: [RegressionSteeringKind]
    var settings: PromptSteeringSettings
    var seed: UInt64
    var log: (String) -> Void = { print($0); fflush(stdout) }

    func run() throws {
        let start = Date()
        let codeVersion = RunProvenance.codeVersion
        let file = try SafetensorsFile(contentsOf: checkpoint)
        let model = try RegressionTransformer(checkpoint: file)
        let options = try RegressionCheckpoint.options(in: file)
        let c = model.configuration, k = options.points
        var store = try CSVStore<PromptSteeringResultRow>(url: folder.appendingPathComponent("steering.csv"))
        func settingsOf(_ kind: RegressionSteeringKind?) -> [String: String] {
            settings.settings(for: kind, layerCount: c.layerCount, headCount: c.headCount, trainedPoints: k)
        }
        func done(_ method: String, _ kind: RegressionSteeringKind?) -> Bool {
            let hash = RegressionSteeringBenchmark.settingsHash(settingsOf(kind))
            return store.rows.contains { $0.checkpoint == checkpointName && $0.method == method && $0.seed == seed && $0.settingsHash == hash }
        }
        let todo = methods.filter { !done($0.rawValue, $0) }
        if todo.isEmpty && done(PromptSteeringBenchmark.transformerMethod, nil) {
            try writeFigure(store.rows, trainedPoints: k, dimensions: c.inputDimension)
            log("every requested method already has rows in \(store.url.path); redrew figure.svg and figure.png from them")
            return
        }
        log("BLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount); per-prompt protocol, K = \(k), methods \(todo.map(\.rawValue))")
        let (errors, prepared) = try PromptSteeringBenchmark.run(
            model: model, functionClass: options.functionClass, trainedPoints: k, methods: todo, settings: settings, seed: seed, log: log)
        let finishedAt = RunProvenance.timestamp()
        let rows = errors.compactMap { e -> PromptSteeringResultRow? in
            let kind = RegressionSteeringKind(rawValue: e.method)
            if kind == nil, done(e.method, nil) { return nil }  // the transformer and baselines are stored once per settings
            let s = settingsOf(kind)
            return PromptSteeringResultRow(
                checkpoint: checkpointName, function: options.functionClass.rawValue, dims: c.inputDimension, method: e.method,
                condition: e.condition, inContextExamples: e.inContextExamples, squaredError: e.squaredError, prompts: e.prompts, seed: seed,
                settingsHash: RegressionSteeringBenchmark.settingsHash(s), settings: canonicalSettings(s),
                prepSeconds: prepared.first { $0.kind == kind }?.prepSeconds ?? 0, codeVersion: codeVersion, finishedAt: finishedAt)
        }
        try store.append(contentsOf: rows)
        try writeFigure(store.rows, trainedPoints: k, dimensions: c.inputDimension)
        for p in prepared { log("\(p.kind.rawValue): prep " + String(format: "%.1f s", p.prepSeconds)) }
        log("wrote \(rows.count) rows to \(store.url.path), figure.svg and figure.png in " + String(format: "%.1f s", Date().timeIntervalSince(start)))
    }

    /// figure.svg and figure.png from this checkpoint's stored rows (errors above 2d drawn at the top).
    func writeFigure(_ rows: [PromptSteeringResultRow], trainedPoints k: Int, dimensions d: Int) throws {
        let figure = PromptSteeringFigure.render(rows.filter { $0.checkpoint == checkpointName }, trainedExamples: k - 1, ceiling: 2 * Double(d))
        try figure.svg.write(to: folder.appendingPathComponent("figure.svg"), atomically: true, encoding: .utf8)
        try Data(figure.png).write(to: folder.appendingPathComponent("figure.png"), options: .atomic)
    }
}
