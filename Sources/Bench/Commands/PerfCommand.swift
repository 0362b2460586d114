import ArgumentParser
import Foundation
import Methods
import Models
import Tasks
import Tensors

/// `bench perf`: throughput of the engine on one model.
struct PerfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Measure prefill and decode throughput, the last-token path's forward+backward, and peak memory.",
        discussion: """
            Prefill runs batches of 128-token prompts and asks for the last position's logits only; \
            decode continues prompts of 32 tokens one token per step; the last-token path prefills a \
            24-token prompt, then runs its last token with soft injection into every head and \
            back-propagates the loss to the mixing weights. Each figure is the best of --repeats runs. \
            On a shared machine wall time depends on the load: the CPU seconds (of every thread of \
            the process) show the work itself. --regression measures regression-training steps instead, \
            --kernels the block matrix–vector kernels on their own.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Runs per measurement; the best is reported.")
    var repeats: Int = 3

    @Option(help: "New tokens per sequence in the decode measurements.")
    var decodeTokens: Int = 32

    @Option(help: "Store the linear weights and embedding as float32, bfloat16 or float16 (re-encoded after loading), or quantized (GGUF blocks read in place, no Float32 copy). Default: as loaded (GGUF dequantised to float32, products of up to 32 rows reading the blocks).")
    var weights: WeightFormat?

    @Option(help: "Precision of the forward weight products: float32 (default, the reference), bfloat16 (float32 sums; AVX512_BF16 where the CPU has it, else the same sums from AVX2, no faster than float32) or int8 (with --weights quantized: decode-sized products take activations rounded to int8 per 32 elements, AVX512_VNNI, as llama.cpp). With bfloat16 or int8, prefill is measured in both, side by side.")
    var compute: ComputePrecision = .float32

    @Option(name: .customLong("workload"), help: "A prefill workload to measure (repeat the option for several): 1x128, 8x128 or icl (32 real 10-shot prompts). Default: all three.")
    var workloads: [PrefillWorkload] = []

    @Flag(help: "Measure prefill only (with its SGEMM ceiling), not decode or the last-token path.")
    var prefillOnly = false

    @Flag(help: "Measure decode only (and peak memory), not prefill or the last-token path.")
    var decodeOnly = false

    @Option(help: "Task files for the ICL workload (default: $BENCH_DATA, else ./datasets, else ../shared/datasets).")
    var dataDir: String?

    @Flag(help: "Measure regression-transformer training (batch 64, d 10, 21 points; tiny and small, 1 and 2 threads) instead of the language model.")
    var regression = false

    @Flag(help: "Time the block matrix–vector kernels on their own instead of a model: one thread, random blocks of every GGUF type in a (2048, 1536) weight, 1 and 8 activation rows, each forward implementation this CPU runs and the backward (dx = dy · w) kernel, against naive products.")
    var kernels = false

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if kernels && (regression || prefillOnly || decodeOnly) {
            throw ValidationError("--kernels times the kernels alone: leave out --regression, --prefill-only and --decode-only")
        }
        if decodeTokens < 1 { throw ValidationError("--decode-tokens must be at least 1") }
        if prefillOnly && decodeOnly { throw ValidationError("--prefill-only and --decode-only exclude each other") }
        if !workloads.isEmpty && (decodeOnly || kernels || regression) {
            throw ValidationError("--workload chooses prefill workloads: leave out --decode-only, --kernels and --regression")
        }
    }

    func run() throws {
        if regression { return try runRegression() }
        if kernels { return runKernels() }
        threads.apply()
        let loadStart = Date()
        let reference = try model.load(weights: weights)
        let lm = LanguageModel(name: reference.name, decoder: try reference.decoder.computing(in: compute), tokenizer: reference.tokenizer)
        let decoder = lm.decoder
        print("model: \(lm.name)  (\(decoder.configuration.layerCount) layers, D \(decoder.configuration.hiddenSize), V \(decoder.configuration.vocabularySize))")
        print("BLAS core: \(BLAS.coreName), threads: \(BLAS.threadCount)")
        let kernel = compute == .bfloat16 ? " (\(BFloat16Kernel.current.rawValue) kernel)" : ""
        print("compute: \(compute.rawValue)\(kernel), weights: \(weights?.rawValue ?? "as loaded"), " + String(format: "%.0f MiB of matrices", Double(decoder.weights.matrixByteCount) / 1_048_576))
        print(String(format: "load: %.2f s", Date().timeIntervalSince(loadStart)))

        func tokens(_ count: Int, seed: Int) -> [Int] { syntheticTokens(count, seed: seed, vocabulary: decoder.configuration.vocabularySize) }
        func best(_ body: () -> Void) -> Double { bestTimes(repeats: repeats, body).wall }

        var variants = [(compute: ComputePrecision.float32, decoder: reference.decoder)]
        if compute != .float32 { variants.append((compute, decoder)) }
        if !decodeOnly { try measurePrefill(lm, variants: variants) }
        if prefillOnly { return print(String(format: "peak resident memory: %.0f MiB", peakResidentMebibytes())) }

        for batch in [1, 32] {
            let prompts = (0..<batch).map { tokens(32, seed: $0) }
            // Wall time of the fastest repeat, and its CPU seconds (all threads): under load, tokens
            // per CPU-second is the figure that compares across runs.
            var seconds = Double.infinity, cpuSeconds = Double.infinity
            for _ in 0..<repeats {
                let caches = prompts.map { _ in decoder.makeCache() }
                _ = decoder.forward(prompts, caches: caches)
                var next = prompts.map { [$0[0]] }
                let cpuStart = processCPUSeconds(), start = DispatchTime.now().uptimeNanoseconds
                for step in 0..<decodeTokens {
                    _ = decoder.forward(next, caches: caches)
                    next = (0..<batch).map { [tokens(1, seed: step + $0)[0]] }
                }
                let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if wall < seconds { (seconds, cpuSeconds) = (wall, processCPUSeconds() - cpuStart) }
            }
            print(String(format: "decode batch %d: %8.1f tok/s aggregate  (%.1f ms per step; %.1f tok per CPU-s)",
                         batch, Double(batch * decodeTokens) / seconds, 1000 * seconds / Double(decodeTokens),
                         Double(batch * decodeTokens) / cpuSeconds))
        }
        if decodeOnly { return print(String(format: "peak resident memory: %.0f MiB", peakResidentMebibytes())) }

        let c = decoder.configuration
        for batch in [1, 16] {
            let prompts = (0..<batch).map { tokens(24, seed: $0) }
            let caches = prompts.map { _ in decoder.makeCache() }
            _ = decoder.forward(prompts.map { Array($0.dropLast()) }, caches: caches, logits: .none)
            let embedding = Tensor(shape: [c.layerCount, c.attentionWidth], repeating: 0.01)
            let seconds = best {
                let tape = Tape()
                // One set of mixing logits (L, H) per sequence.
                let alphaLogits = tape.parameter(Tensor(shape: [batch * c.layerCount, c.attentionHeads]))
                let interventions = SoftInjectionInterventions.make(
                    embeddings: [embedding], weights: tape.sigmoid(alphaLogits),
                    rows: (0..<batch).map { .init(embedding: 0, weights: $0) }, tape: tape)
                let output = decoder.forward(prompts.map { [$0.last!] }, caches: caches, tape: tape, interventions: interventions)
                let loss = tape.sum(tape.crossEntropy(logits: output.logits!, targets: Array(repeating: 1, count: batch)))
                _ = tape.gradients(of: loss)[alphaLogits]
                for cache in caches { cache.truncate(to: 23) }
            }
            print(String(format: "last-token path, batch %d: %.1f ms forward+backward (%.2f ms per sequence)",
                         batch, seconds * 1000, seconds * 1000 / Double(batch)))
        }
        print(String(format: "peak resident memory: %.0f MiB", peakResidentMebibytes()))
    }
}

extension PerfCommand {
    /// `--kernels`: a line per block type, activation row count and kernel.
    func runKernels() {
        let (outputs, inputs) = (2048, 1536)
        print("block matrix–vector kernels: 1 thread, weight (\(outputs), \(inputs)) of random blocks, best of \(repeats)")
        print("Gw/s: weights × activation rows per second (10⁹); error: max |y − y_naive| / (1 + max |y_naive|)")
        print("avx2-dx: the backward product dx = dy · w (dy of the given rows), against a Double one")
        // Left-aligned in `width` columns (String(format:)'s %-6@ does not pad on Linux).
        func column(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        print("\(column("type", 6))  rows  \(column("kernel", 7))    Gw/s  error")
        for type in WeightStorageType.allCases where type.isBlockQuantized {
            for rows in [1, 8] {
                for timing in BlockKernelTiming.measure(type, outputs: outputs, inputs: inputs, rows: rows, repeats: repeats) {
                    print(column(type.rawValue, 6) + String(format: "  %4d  ", rows) + column(timing.kernel, 7)
                          + String(format: "  %6.2f  %.1e", timing.weightsPerSecond / 1e9, timing.errorAgainstNaive))
                }
            }
        }
    }

    /// Prefill tok/s on three workloads (1×128 and 8×128 synthetic tokens, 32 real 10-shot ICL
    /// prompts of 100–700 tokens), each against the SGEMM ceiling of the same rows measured just
    /// before it: the fraction is prefill tok/s ÷ ceiling tok/s.
    /// With several variants (float32 and another precision), each is timed on every workload and
    /// the last line of a workload gives its tok/s ratio to float32's.
    func measurePrefill(_ lm: LanguageModel, variants: [(compute: ComputePrecision, decoder: Decoder)]) throws {
        let c = lm.decoder.configuration
        func tokens(_ count: Int, seed: Int) -> [Int] { syntheticTokens(count, seed: seed, vocabulary: c.vocabularySize) }
        print(String(format: "prefill FLOP per token: %.1f M in the layer products (+ %.1f M per sequence for its last logits)",
                     Double(c.prefillFlopPerToken) / 1e6, Double(c.logitFlopPerRow) / 1e6))
        var workloads = [(name: String, prompts: [[Int]])]()
        for workload in self.workloads.isEmpty ? PrefillWorkload.allCases : self.workloads {
            switch workload {
            case .single128, .eight128:
                let batch = workload == .single128 ? 1 : 8
                workloads.append(("\(batch)×128", (0..<batch).map { tokens(128, seed: $0) }))
            case .icl:
                let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
                let data = DataDirectory.resolve(flag: dataDir, environment: ProcessInfo.processInfo.environment, currentDirectory: cwd)
                let icl = try ICLPerfPrompts.build(model: lm, data: data)
                workloads.append(("ICL 32 ragged", icl.prompts))
                print("ICL 32 ragged: 10-shot test prompts of \(icl.shortest)–\(icl.longest) tokens, \(icl.tokenCount) in all")
            }
        }
        // On a loaded machine wall times stretch with the load; the CPU-second fraction (ceiling
        // CPU-s ÷ prefill CPU-s) shows the work itself.
        print("workload          compute   rows   SGEMM GFLOP/s  ceiling tok/s  prefill tok/s  fraction   CPU-s  fraction (CPU-s)")
        for workload in workloads {
            let rows = workload.prompts.reduce(0) { $0 + $1.count }
            // At least 5 runs per shape: a 128-row product takes well under a millisecond, and a
            // best of 2 caught in one stall of the shared machine once halved the ceiling.
            let ceiling = PrefillCeiling.measure(c.layerProducts, rows: rows, repeats: max(repeats, PrefillCeiling.minimumRepeats))
            var rates = [Double]()
            for variant in variants {
                let decoder = variant.decoder
                let times = bestTimes(repeats: repeats) {
                    _ = decoder.forward(workload.prompts, caches: workload.prompts.map { _ in decoder.makeCache() })
                }
                let rate = Double(rows) / times.wall
                rates.append(rate)
                print(workload.name.padding(toLength: 17, withPad: " ", startingAt: 0)
                      + variant.compute.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: " %5d   %13.1f  %13.1f  %13.1f  %8.3f  %6.2f  %8.3f", rows, ceiling.gflops,
                               ceiling.tokensPerSecond, rate, rate / ceiling.tokensPerSecond, times.cpu, ceiling.cpuSeconds / times.cpu))
            }
            if rates.count > 1 {
                print(String(format: "%@ %@ / float32: %.2f×", workload.name, variants[variants.count - 1].compute.rawValue, rates[rates.count - 1] / rates[0]))
            }
        }
    }

    /// Steps per second of `RegressionTrainer.trainStep` at the last curriculum stage.
    func runRegression() throws {
        print("BLAS core: \(BLAS.coreName)")
        retainFreedMemory()  // as `bench regression train` does
        let steps = 5
        for size in [RegressionModelSize.tiny, .small] {
            for threadCount in [1, 2] {
                BLAS.threadCount = threadCount
                let options = try RegressionTrainingOptions(dimensions: 10, points: 21, size: size, batchSize: 64, curriculumInterval: 1)
                var trainer = try RegressionTrainer(options: options)
                while options.curriculum.stage(at: trainer.step) != (options.dimensions, options.points) { trainer.trainStep() }
                let times = bestTimes(repeats: repeats) { for _ in 0..<steps { trainer.trainStep() } }
                print(String(format: "regression train %@ (batch 64, d 10, 21 points), %d thread%@: %6.2f steps/s  (%.2f steps per CPU-s)",
                             size.rawValue, threadCount, threadCount == 1 ? "" : "s",
                             Double(steps) / times.wall, Double(steps) / times.cpu))
            }
        }
    }
}

/// The prefill workloads of `bench perf`.
enum PrefillWorkload: String, CaseIterable, ExpressibleByArgument {
    case single128 = "1x128", eight128 = "8x128", icl
}

/// `count` token ids spread over the vocabulary, different for each seed.
func syntheticTokens(_ count: Int, seed: Int, vocabulary v: Int) -> [Int] {
    (0..<count).map { (($0 + 1) * 7919 + seed * 104_729) % v }
}

/// The shortest wall time of `repeats` runs of `body`, with the CPU seconds of that run.
func bestTimes(repeats: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
    var best = (wall: Double.infinity, cpu: Double.infinity)
    for _ in 0..<repeats {
        let cpuStart = processCPUSeconds(), start = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if wall < best.wall { best = (wall, processCPUSeconds() - cpuStart) }
    }
    return best
}

extension WeightFormat: ExpressibleByArgument {}
extension ComputePrecision: ExpressibleByArgument {}
