import Testing
@testable import Bench
import Models
import Tensors

@Suite struct PerfCommandParsingTests {
    @Test func weightsOptionTakesEveryFormat() throws {
        for format in WeightFormat.allCases {
            let command = try #require(try BenchCommand.parseAsRoot(["perf", "--weights", format.rawValue]) as? PerfCommand)
            #expect(command.weights == format)
        }
        let plain = try #require(try BenchCommand.parseAsRoot(["perf"]) as? PerfCommand)
        #expect(plain.weights == nil)
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["perf", "--weights", "q4_0"]) }
    }

    @Test func computeOptionTakesEveryPrecisionOnPerfAndTheFloatOnesOnRun() throws {
        for precision in ComputePrecision.allCases {
            let perf = try #require(try BenchCommand.parseAsRoot(["perf", "--compute", precision.rawValue, "--prefill-only"]) as? PerfCommand)
            #expect(perf.compute == precision && perf.prefillOnly)
            // Sweeps load float32 weights, which int8 would leave as they are (ResultStoreSweepTests refuses it).
            if precision == .int8 { continue }
            let run = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--compute", precision.rawValue]) as? RunCommand)
            #expect(run.sweep.compute == precision)
        }
        let plain = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym"]) as? RunCommand)
        #expect(plain.sweep.compute == .float32)
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--compute", "float16"]) }
    }

    @Test func kernelsExcludesTheModelMeasurements() throws {
        let kernels = try #require(try BenchCommand.parseAsRoot(["perf", "--kernels", "--repeats", "2"]) as? PerfCommand)
        #expect(kernels.kernels && kernels.repeats == 2)
        for other in ["--regression", "--prefill-only", "--decode-only"] {
            #expect(throws: (any Error).self, "\(other)") { try BenchCommand.parseAsRoot(["perf", "--kernels", other]) }
        }
    }

    @Test func workloadOptionChoosesPrefillWorkloads() throws {
        let plain = try #require(try BenchCommand.parseAsRoot(["perf", "--prefill-only"]) as? PerfCommand)
        #expect(plain.workloads.isEmpty, "none named: all three")
        let two = try #require(try BenchCommand.parseAsRoot(["perf", "--prefill-only", "--workload", "1x128", "--workload", "icl"]) as? PerfCommand)
        #expect(two.workloads == [.single128, .icl])
        #expect(throws: (any Error).self) { try BenchCommand.parseAsRoot(["perf", "--workload", "4x128"]) }
        for other in ["--decode-only", "--kernels", "--regression"] {
            #expect(throws: (any Error).self, "\(other)") { try BenchCommand.parseAsRoot(["perf", "--workload", "8x128", other]) }
        }
    }
}
