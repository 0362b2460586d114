import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Methods
import ModelFormats
import Models
import Tasks
import Tensors

/// `bench regression`: train and evaluate the function-regression transformer (LTV, Garg et al.).
struct RegressionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regression",
        abstract: "Train and evaluate the in-context function-regression transformer.",
        subcommands: [Train.self, Eval.self, Speed.self, Steer.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a regression transformer with Garg et al.'s curriculum; resumes from --output's checkpoint.",
            discussion: """
                Writes <output>/checkpoint.safetensors every --checkpoint-every steps (parameters, Adam \
                moments, step, data-stream position, configuration) and <output>/curve.csv (step, mean \
                loss of the last --log-every steps, steps/s, curriculum stage). Run the same command again \
                to continue a killed run: the result is identical to an uninterrupted one.
                """)

        @Option(help: "Function class: \(FunctionClass.allCases.map(\.rawValue).joined(separator: ", ")).")
        var function: FunctionClass = .linear

        @OptionGroup var shape: RegressionShapeOptions

        @Option(help: "Total training steps.")
        var steps: Int

        @Option(help: "Steps between checkpoints.")
        var checkpointEvery: Int = 500

        @Option(help: "Steps per training-curve row.")
        var logEvery: Int = 10

        @Option(help: "Steps between curriculum increments (Garg et al.: 2000).")
        var curriculumInterval: Int = 2000

        @Option(help: "Adam learning rate.")
        var learningRate: Float = 1e-4

        @Option(help: "Learned position pairs of the model (prompts up to this many points).")
        var maxPoints: Int = 101

        @Option(help: "Folder for the checkpoint and the curve.")
        var output: String = "results/regression/run"

        @Option(help: "Seed of the initialisation and of the training data.")
        var seed: UInt64 = 0

        @OptionGroup var threads: ThreadOptions

        func validate() throws {
            if steps < 1 { throw ValidationError("--steps must be at least 1") }
            if checkpointEvery < 1 || logEvery < 1 { throw ValidationError("--checkpoint-every and --log-every must be at least 1") }
            if shape.points > maxPoints { throw ValidationError("--points \(shape.points) exceeds --max-points \(maxPoints)") }
            // A resumed run restarts its loss window at the checkpoint: keep windows aligned.
            if checkpointEvery % logEvery != 0 {
                throw ValidationError("--checkpoint-every \(checkpointEvery) must be a multiple of --log-every \(logEvery)")
            }
        }

        func run() throws {
            threads.apply()
            retainFreedMemory()
            let options = try RegressionTrainingOptions(
                functionClass: function, dimensions: shape.dims, points: shape.points, size: shape.config, maxPoints: maxPoints,
                batchSize: shape.batchSize, learningRate: learningRate, seed: seed, curriculumInterval: curriculumInterval)
            let training = RegressionTrainingRun(
                options: options, directory: URL(fileURLWithPath: output), checkpointEvery: checkpointEvery, logEvery: logEvery)
            print("BLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount)")
            let start = Date()
            var curve = try CSVCurveStore(url: URL(fileURLWithPath: output).appendingPathComponent("curve.csv"))
            let trainer = try training.run(steps: steps, curve: &curve) { record in
                print(String(format: "step %6d  loss %.5f  %.2f steps/s  (d %d, points %d)",
                             record.step, record.loss, record.stepsPerSecond, record.dimensions, record.points))
                fflush(stdout)
            }
            print(String(format: "done: step %d in %.1f s this run; checkpoint %@", trainer.step,
                         Date().timeIntervalSince(start), training.checkpointURL.path))
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Squared error / d per prompt length of a trained model and the baselines, in distribution and under each shift.",
            discussion: """
                Writes <output>/eval.csv (condition, estimator, in-context examples, squared error / d, prompts) \
                and <output>/eval.svg (one panel per condition), and prints the CSV. Conditions: in \
                distribution, prompts twice as long as trained, skewed covariance, x and y scaled by 1/2 and \
                2, noisy y (σ 0.5), and the orthogonal query (scored at the query only, per prompt length).
                """)

        @Option(help: "A model.safetensors or checkpoint.safetensors written by `bench regression train`.")
        var checkpoint: String

        @Option(help: "Prompts per condition and prompt length.")
        var prompts: Int = 1280

        @Option(help: "Seed of the evaluation prompts (independent of the training data).")
        var seed: UInt64 = 1

        @Option(help: "Folder for eval.csv and eval.svg (default: the checkpoint's folder).")
        var output: String?

        @OptionGroup var threads: ThreadOptions

        func validate() throws {
            if prompts < 1 { throw ValidationError("--prompts must be at least 1") }
        }

        func run() throws {
            threads.apply()
            let url = URL(fileURLWithPath: checkpoint)
            let file = try SafetensorsFile(contentsOf: url)
            let model = try RegressionTransformer(checkpoint: file)
            let options = try RegressionCheckpoint.options(in: file)
            let conditions = RegressionEvaluationCondition.standard(
                dimensions: options.dimensions, points: options.points, maxPoints: model.configuration.maxPoints)
            let rows = try RegressionEvaluation.evaluate(
                model, functionClass: options.functionClass, conditions: conditions, prompts: prompts, seed: seed)
            let folder = output.map { URL(fileURLWithPath: $0) } ?? url.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let csv = CSV.text(rows)
            // A new evaluation replaces the file, in one atomic replace.
            var store = try CSVStore<RegressionEvaluationRow>(url: folder.appendingPathComponent("eval.csv"))
            try store.replaceAll(with: rows)
            try RegressionPlot.svg(rows).write(to: folder.appendingPathComponent("eval.svg"), atomically: true, encoding: .utf8)
            print(csv, terminator: "")
            let step = file.metadata["step"].map { " after \($0) steps" } ?? ""
            print("model: \(options.size.rawValue), \(options.functionClass.rawValue), d \(options.dimensions), K \(options.points)\(step)")
            for k in [options.dimensions / 2, 2 * options.dimensions] {
                let at = rows.filter { $0.condition == "in-distribution" && $0.inContextExamples == k }
                let summary = at.map { String(format: "%@ %.4f", $0.estimator, $0.squaredErrorPerDimension) }.joined(separator: ", ")
                print("in distribution, k = \(k): \(summary)")
            }
            print("wrote \(folder.appendingPathComponent("eval.csv").path) and eval.svg")
        }
    }

    struct Speed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training steps per second at the end of the curriculum (all d dimensions, K points), nothing written.",
            discussion: "Runs --warmup steps, then times --steps steps; reports the median of per-step rates and the overall rate.")

        @OptionGroup var shape: RegressionShapeOptions

        @Option(help: "Untimed steps first.")
        var warmup: Int = 3

        @Option(help: "Timed steps.")
        var steps: Int = 20

        @OptionGroup var threads: ThreadOptions

        func validate() throws {
            if steps < 1 || warmup < 0 { throw ValidationError("--steps must be at least 1 and --warmup at least 0") }
        }

        func run() throws {
            threads.apply()
            retainFreedMemory()
            let (dims, points) = (shape.dims, shape.points)
            var options = try RegressionTrainingOptions(dimensions: dims, points: points, size: shape.config,
                                                        maxPoints: max(101, points), batchSize: shape.batchSize)
            options.curriculum = RegressionCurriculum(startDimensions: dims, dimensionIncrement: 0, startPoints: points,
                                                      pointIncrement: 0, interval: 1, finalDimensions: dims, finalPoints: points)
            var trainer = try RegressionTrainer(options: options)
            for _ in 0..<warmup { trainer.trainStep() }
            var seconds = [Double]()
            let cpuStart = processCPUSeconds()
            for _ in 0..<steps {
                let start = DispatchTime.now().uptimeNanoseconds
                trainer.trainStep()
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let cpuSeconds = processCPUSeconds() - cpuStart
            let sorted = seconds.sorted()
            print("BLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount)")
            print(String(format: "%@ (D %d, L %d, H %d), batch %d, d %d, %d points (%d positions), %d parameters",
                         shape.config.rawValue, trainer.model.configuration.embeddingWidth, trainer.model.configuration.layerCount,
                         trainer.model.configuration.headCount, shape.batchSize, dims, points, 2 * points, trainer.model.weights.parameterCount))
            print(String(format: "steps/s: median %.2f, best %.2f, overall %.2f (%d steps)",
                         1 / sorted[sorted.count / 2], 1 / sorted[0], Double(steps) / seconds.reduce(0, +), steps))
            // On a shared machine the wall rate depends on the neighbours; CPU time does much less.
            print(String(format: "CPU time: %.1f ms per step (%.2f steps per CPU-second, all threads together)",
                         1000 * cpuSeconds / Double(steps), Double(steps) / cpuSeconds))
        }
    }
}

/// Keeps freed memory in the process instead of returning it to the kernel: every training step
/// frees and reallocates the same few hundred MB of activations, and fresh pages cost a fault
/// and a zeroing each.
func retainFreedMemory() {
    #if canImport(Glibc)
    // glibc's mallopt, looked up at run time (malloc.h is not part of the Glibc module);
    // M_TRIM_THRESHOLD is −1 and M_MMAP_THRESHOLD −3 in malloc.h.
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
    _ = mallopt(-3, 1 << 30)
    _ = mallopt(-1, Int32.max)
    #endif
}

extension FunctionClass: ExpressibleByArgument {}
extension RegressionModelSize: ExpressibleByArgument {}

/// The shape of a training run, shared by `regression train` and `regression speed`.
struct RegressionShapeOptions: ParsableArguments {
    @Option(help: "Model size: tiny (64/3/2), small (128/6/4), standard (256/12/8).")
    var config: RegressionModelSize = .small

    @Option(help: "Input dimension d (for train, where the curriculum ends).")
    var dims: Int = 10

    @Option(help: "Points per prompt K, 2K positions (for train, at the end of the curriculum).")
    var points: Int = 21

    @Option(help: "Prompts per batch.")
    var batchSize: Int = 64
}
