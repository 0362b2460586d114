import Testing
@testable import Bench
import Models

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
}
