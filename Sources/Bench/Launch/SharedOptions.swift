import ArgumentParser
import Foundation
import Models
import Tensors

/// `--threads`: how many threads OpenBLAS uses for one matrix product.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for matrix products (default: the available cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// The count in effect: the flag, else the available cores.
    var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Sets OpenBLAS's thread count; call at the start of `run()`.
    func apply() {
        BLAS.threadCount = resolvedThreads
    }
}

/// `--models-dir`: where model files live.
struct ModelsDirectoryOptions: ParsableArguments {
    @Option(
        name: .customLong("models-dir"),
        help: "Folder of model files (default: $BENCH_MODELS, else ./models).")
    var modelsDirectory: String?

    /// The store over the chosen folder: the flag, else `$BENCH_MODELS`, else `./models`.
    func store() -> ModelStore {
        ModelStore(directory: ModelStore.resolveDirectory(
            flag: modelsDirectory, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath))
    }
}
