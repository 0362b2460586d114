import ArgumentParser
import Foundation
import Models
import Tensors

/// The compute backend's options: the native CPU engine, or PyTorch + transformers through the
/// torch worker (`torch_worker/`, its environment made by scripts/torch-env).
struct BackendOptions: ParsableArguments {
    enum Kind: String, CaseIterable, ExpressibleByArgument { case native, torch }

    @Option(help: "native (the CPU engine) or torch (PyTorch + transformers through torch_worker/; needs scripts/torch-env).")
    var backend: Kind = .native

    @Option(help: "torch: cpu, cuda or auto.")
    var device: TorchLoadOptions.Device?

    @Option(help: "torch: float32, bfloat16 or float16.")
    var dtype: TorchLoadOptions.DType?

    @Flag(name: .customLong("load-in-4bit"), help: "torch: load the weights in 4-bit NF4 (bitsandbytes; needs CUDA), as the SITE paper loads the 70B, 32B and Mixtral models.")
    var loadIn4bit = false

    @Option(help: "torch: spread the layers over several GPUs with accelerate (auto, balanced or sequential).")
    var deviceMap: String?

    @Option(help: "torch: the most memory per device for --device-map, e.g. 0=75GiB,1=75GiB,cpu=100GiB.")
    var maxMemory: CommaList = ""

    @Option(help: "torch: CPU threads of the worker (default: torch's choice; fewer than the cores is faster on a shared CPU).")
    var workerThreads: Int?

    @Option(help: "torch: seconds to wait for any one worker response before stopping it.")
    var workerTimeout: Double = 1800

    @Option(help: "torch: the Python that runs the worker, one with torch, transformers and accelerate (default: .venv-torch/bin/python, made by scripts/torch-env).")
    var workerPython: String?

    func validate() throws {
        let torchOnly = [("--device", device != nil), ("--dtype", dtype != nil), ("--load-in-4bit", loadIn4bit),
                         ("--device-map", deviceMap != nil), ("--max-memory", !maxMemory.items.isEmpty),
                         ("--worker-threads", workerThreads != nil), ("--worker-python", workerPython != nil)]
        if backend == .native, let flag = torchOnly.first(where: { $0.1 })?.0 {
            throw ValidationError("\(flag) needs --backend torch (the native engine runs on the CPU in float32 or the stored format)")
        }
        if loadIn4bit && device == .cpu { throw ValidationError("--load-in-4bit needs a CUDA GPU: use --device cuda or auto") }
        if let deviceMap, !["auto", "balanced", "sequential"].contains(deviceMap) {
            throw ValidationError("--device-map must be auto, balanced or sequential, got '\(deviceMap)'")
        }
        if !maxMemory.items.isEmpty && deviceMap == nil && !loadIn4bit {
            throw ValidationError("--max-memory bounds --device-map: give --device-map too")
        }
        _ = try memoryLimits()
        if let workerThreads, workerThreads < 1 { throw ValidationError("--worker-threads must be at least 1") }
        if !(workerTimeout > 0) { throw ValidationError("--worker-timeout must be positive") }
    }

    /// --max-memory as accelerate's map, e.g. ["0": "75GiB", "cpu": "100GiB"].
    func memoryLimits() throws -> [String: String] {
        var limits = [String: String]()
        for item in maxMemory.items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--max-memory: '\(item)' is not DEVICE=AMOUNT (e.g. 0=75GiB)")
            }
            limits[parts[0]] = parts[1]
        }
        return limits
    }

    var loadOptions: TorchLoadOptions {
        TorchLoadOptions(
            device: device ?? .cpu, dtype: dtype ?? .float32, loadIn4bit: loadIn4bit, deviceMap: deviceMap,
            maxMemory: (try? memoryLimits()) ?? [:], threads: workerThreads)
    }

    /// The settings the backend adds to result rows and artifacts, known before it starts: the
    /// native engine's for `compute`, else the worker's load options'.
    func settings(compute: ComputePrecision) -> [String: String] {
        backend == .native ? NativeBackend.settings(compute: compute) : loadOptions.settings
    }

    /// `--compute` is the native engine's; the worker's precision is `--dtype`.
    func check(compute: ComputePrecision) throws {
        if backend != .native && compute != .float32 {
            throw ValidationError("--compute \(compute.rawValue) is the native engine's: with --backend torch use --dtype")
        }
    }

    /// The backend `model` runs on: the worker with the model loaded for `--backend torch`, else
    /// the native engine.
    /// - Throws: `WorkerError` when the worker cannot start or load the model.
    func resolved(model: LanguageModel, location: ModelLocation) throws -> any ModelBackend {
        try makeBackend(model: model, location: location) ?? NativeBackend(model: model)
    }

    /// How the worker starts: `--worker-python` (relative to `projectRoot`) or the project's
    /// environment, with the worker's threads and timeout.
    func workerLaunch(projectRoot root: URL) -> WorkerLaunch {
        let python = workerPython.map { URL(fileURLWithPath: $0, relativeTo: root).standardizedFileURL }
        var launch = WorkerLaunch.torchWorker(projectRoot: root, python: python, threads: workerThreads)
        launch.requestTimeout = workerTimeout
        launch.forwardsStderr = true
        return launch
    }

    /// The backend for `model`, found at `location`: nil for the native engine (callers use
    /// `NativeBackend(model:)`), else a started worker with the model loaded.
    /// - Throws: `WorkerError` when the worker cannot start or load the model.
    func makeBackend(model: LanguageModel, location: ModelLocation) throws -> (any ModelBackend)? {
        guard backend == .torch else { return nil }
        // The worker package sits at the repository root, beside .venv-torch.
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("torch_worker/__main__.py").path) else {
            throw WorkerError.cannotStart("no torch_worker/ in \(root.path): run bench from the repository root")
        }
        let client = try WorkerClient(workerLaunch(projectRoot: root))
        return try TorchBackend(client: client, model: location.url.path, options: loadOptions, tokenizer: model.tokenizer)
    }
}

extension TorchLoadOptions.Device: ExpressibleByArgument {}
extension TorchLoadOptions.DType: ExpressibleByArgument {}
