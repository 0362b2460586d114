import ArgumentParser
import Foundation
import Models
import Tensors

/// `bench doctor`: what this machine gives the harness, measured.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the OpenBLAS core, threads, CPU features, models present, and measured SGEMM and bfloat16 product speed.")

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var location: ModelsDirectoryOptions

    @Flag(help: "Skip timing SGEMM with the core OpenBLAS picks on its own (a child process).")
    var noBaseline = false

    /// Used by the baseline child: time one SGEMM of this size and print `<core> <GFLOP/s>`.
    @Option(help: .hidden)
    var probeSGEMM: Int?

    /// Used by scripts/test, so that the test runner (which cannot relaunch itself) loads OpenBLAS
    /// with the core bench's own rule picks: the rule lives in one place.
    @Flag(help: "Print only the OPENBLAS_CORETYPE value bench runs with (an empty line: OpenBLAS's own choice).")
    var coretype = false

    func validate() throws {
        if let probeSGEMM, probeSGEMM < 1 || probeSGEMM > 8192 {
            throw ValidationError("--probe-sgemm must be in 1...8192, got \(probeSGEMM)")
        }
    }

    func run() throws {
        threadOptions.apply()
        if let size = probeSGEMM {
            let measurement = SGEMMMeasurement.measure(size: size, repeats: 3)
            print("\(BLAS.coreName) \(measurement.gflops)")
            return
        }
        if coretype {
            // After the relaunch (if any) this process runs with the chosen value in its environment.
            print(ProcessInfo.processInfo.environment[OpenBLASLaunchDecision.coreTypeVariable] ?? "")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let cpu = CPUInfo.current()
        let flags = cpu?.flags ?? []
        let core = BLAS.coreName

        print("OpenBLAS")
        let decision = OpenBLASLaunchDecision.decide(environment: environment, loadedCore: core, cpuFlags: flags)
        print("  core:     \(core) (\(OpenBLASLauncher.story(decision, environment: environment, loadedCore: core)))")
        print("  config:   \(BLAS.configuration)")
        print("  threads:  \(BLAS.threadCount) (available cores: \(ProcessInfo.processInfo.activeProcessorCount))")
        print("CPU")
        print("  model:    \(cpu?.modelName ?? "unknown (no /proc/cpuinfo)")")
        let present = CPUInfo.relevantFlags.filter(flags.contains)
        print("  features: \(present.isEmpty ? "none of \(CPUInfo.relevantFlags.joined(separator: " "))" : present.joined(separator: " "))")
        print("  best OpenBLAS core for these features: \(OpenBLASCore.best(forFlags: flags) ?? "none beyond OpenBLAS's own")")

        let store = location.store()
        print("Models (\(store.directory.path))")
        for spec in store.catalog.models {
            print("  " + modelStatusLine(store, spec))
        }

        print("SGEMM (float32, best of 3)")
        let small = SGEMMMeasurement.measure(size: 512, repeats: 3)
        if noBaseline {
            print("  512^3  with \(core): \(rate(small.gflops))")
        } else if let (baseCore, baseGFLOPs) = baselineProbe(size: 512) {
            print("  512^3  with OpenBLAS's own core (\(baseCore)): \(rate(baseGFLOPs))")
            let comparison = baseCore.lowercased() == core.lowercased()
                ? "the same core: the spread is timing noise"
                : String(format: "%.1fx", small.gflops / baseGFLOPs)
            print("  512^3  with \(core): \(rate(small.gflops)) (\(comparison))")
        } else {
            print("  512^3  with \(core): \(rate(small.gflops)) (the baseline child process failed)")
        }
        let large = SGEMMMeasurement.measure(size: 1024, repeats: 3)
        print("  1024^3 with \(core): \(rate(large.gflops))")

        // Whether --compute bfloat16 pays here: its kernel against SGEMM on the same product. Some
        // CPUs with AVX512_BF16 issue vdpbf16ps at half the rate of float32 FMAs.
        print("bfloat16 products (--compute bfloat16, \(BFloat16Kernel.current.rawValue) kernel, best of 3)")
        let bfloat16 = SGEMMMeasurement.measureBFloat16(size: 1024, repeats: 3)
        let ratio = bfloat16.gflops / large.gflops
        print("  1024^3: \(rate(bfloat16.gflops)), " + String(format: "%.2fx", ratio) + " float32's SGEMM: "
              + (ratio < 1 ? "bfloat16 prefill is slower than float32 on this CPU" : "bfloat16 prefill can be faster than float32"))
    }

    private func rate(_ gflops: Double) -> String { String(format: "%.1f GFLOP/s", gflops) }

    /// Runs this executable again without `OPENBLAS_CORETYPE` and with relaunching switched off, so
    /// OpenBLAS keeps its own core choice, and returns that core and its SGEMM GFLOP/s.
    private func baselineProbe(size: Int) -> (String, Double)? {
        var environment = ProcessInfo.processInfo.environment
        environment[OpenBLASLaunchDecision.coreTypeVariable] = nil
        environment[OpenBLASLaunchDecision.guardVariable] = nil
        environment[OpenBLASLaunchDecision.triedVariable] = nil
        environment[OpenBLASLaunchDecision.switchVariable] = "0"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["doctor", "--probe-sgemm", "\(size)", "--threads", "\(BLAS.threadCount)"]
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace)
        guard process.terminationStatus == 0, fields.count == 2, let gflops = Double(fields[1]) else { return nil }
        return (String(fields[0]), gflops)
    }
}
