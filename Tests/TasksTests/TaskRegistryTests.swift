import Foundation
import Testing
@testable import Tasks

@Suite struct TaskRegistryTests {
    @Test func listsThe57TasksOfTheManifestAndTheDataFolder() throws {
        let registry = TaskRegistry.site57
        #expect(registry.tasks.count == 57)
        let manifestNames = try Fixtures.manifest().tasks.map(\.name)
        #expect(Set(manifestNames) == Set(registry.tasks.map(\.name)))
        let folders = try Fixtures.sharedTaskFolders()
            .filter { !$0.hasSuffix(".md") && $0 != "LICENSE" }
        #expect(Set(folders) == Set(registry.tasks.map(\.name)), "task folders in \(Fixtures.site57.taskFolder.path)")
    }

    @Test func acceptsBothSpellingsAndReturnsTheCanonicalOne() throws {
        let registry = TaskRegistry.site57
        #expect(try registry.task(named: "country_capital").name == "country-capital")
        #expect(try registry.task(named: "country-capital").name == "country-capital")
        #expect(try registry.task(named: "Word-Length").name == "word_length")
        #expect(try registry.task(named: "word_length").name == "word_length")
    }

    @Test func unknownNamesThrowWithTheName() {
        #expect(throws: TaskError.unknownTask(name: "country capital", known: TaskRegistry.site57.tasks.map(\.name))) {
            try TaskRegistry.site57.task(named: "country capital")
        }
        #expect(throws: TaskError.unknownSplit(name: "dev")) { try TaskSplit(parsing: "dev") }
    }

    @Test func onlyCaseChangingTasksPreserveCase() {
        let preserving = TaskRegistry.site57.tasks.filter(\.preservesCase).map(\.name)
        #expect(preserving == [
            "capitalize", "capitalize_first_letter", "capitalize_last_letter", "capitalize_second_letter",
            "lowercase_first_letter", "lowercase_last_letter",
        ])
    }
}
