import ArgumentParser
import Foundation
import Tasks

/// `bench tasks list`: the registered text tasks with the sizes of their splits.
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "The text tasks of the registry.",
        subcommands: [List.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the 57 tasks with their train/valid/test sizes, counted from the files."
        )

        @OptionGroup var location: DataDirectoryOptions

        func run() throws {
            let directory = location.dataDirectory()
            let rows = try TaskRegistry.site57.tasks.map { task in
                (task, try task.loadSplits(from: directory).counts)
            }
            let width = max(4, rows.map(\.0.name.count).max() ?? 0)
            func pad(_ text: String, _ count: Int) -> String { text + String(repeating: " ", count: max(0, count - text.count)) }
            func right(_ value: Int) -> String { let text = String(value); return String(repeating: " ", count: max(0, 6 - text.count)) + text }
            print(pad("task", width) + "  train  valid   test  scoring")
            for (task, sizes) in rows {
                print(pad(task.name, width) + " " + sizes.map(right).joined(separator: " ")
                    + "  " + (task.preservesCase ? "case-sensitive" : "lower-cased"))
            }
            print("\(rows.count) tasks in \(directory.taskFolder.path)")
        }
    }
}
