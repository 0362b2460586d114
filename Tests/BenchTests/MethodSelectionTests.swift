import ArgumentParser
import Foundation
import Methods
import Testing
@testable import Bench

/// `bench run --methods` takes the names it always took (fv, tv) and the methods' own names.
@Suite struct MethodSelectionTests {
    func methods(_ list: String) throws -> [MethodKind] {
        let command = try #require(try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--methods", list]) as? RunCommand)
        return try command.selectedMethods()
    }

    @Test func shortAndFullNamesSelectTheSameMethods() throws {
        #expect(try methods("zero-shot,icl,site,fv,tv,ltv") == [.zeroShot, .icl, .site, .functionVector, .taskVector, .ltv])
        #expect(try methods("function-vectors, task-vectors") == [.functionVector, .taskVector])
        #expect(try methods("all") == MethodKind.allCases)
    }

    @Test func anUnknownMethodIsRefusedWithTheKnownOnes() {
        #expect {
            _ = try BenchCommand.parseAsRoot(["run", "--tasks", "antonym", "--methods", "site,icl-10"])
        } throws: { error in
            let message = BenchCommand.message(for: error)
            return message.contains("unknown method 'icl-10'") && message.contains("function-vectors (fv), task-vectors (tv)")
        }
    }

    @Test func helpListsTheMethods() {
        #expect(RunCommand.helpMessage().contains("zero-shot, icl, site, function-vectors (fv), task-vectors (tv), ltv"))
    }
}
