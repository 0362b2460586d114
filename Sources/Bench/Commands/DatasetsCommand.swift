import ArgumentParser
import Foundation
import Tasks

/// `bench datasets fetch|verify`: provisions the 57 task files into the data directory.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Fetch and verify the task files listed in datasets/manifest.json.",
        subcommands: [Fetch.self, Verify.self]
    )

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy or download every task file, verify its size and sha256, write it atomically.",
            discussion: """
                Source: --from DIR (a folder of <task>/<split>.json), --url BASE (downloads \
                BASE/<task>/<split>.json), else ../shared/datasets/site57 when it exists, else the \
                manifest's upstream URL. Destination: --data-dir, else $BENCH_DATA, else ./datasets \
                (files land in <data-dir>/site57/<task>/<split>.json). A file whose size or digest \
                differs from the manifest is refused, by name, and never written.
                """
        )

        @Option(name: .customLong("from"), help: "A local folder holding <task>/<split>.json.")
        var sourceDirectory: String?

        @Option(name: .customLong("url"), help: "Base URL to download <task>/<split>.json from.")
        var baseURL: String?

        @OptionGroup var location: DataDirectoryOptions
        @OptionGroup var manifestOption: ManifestOption

        func validate() throws {
            if sourceDirectory != nil && baseURL != nil {
                throw ValidationError("give --from or --url, not both")
            }
            if let baseURL, URL(string: baseURL)?.scheme == nil {
                throw ValidationError("--url needs an absolute URL, got '\(baseURL)'")
            }
        }

        func run() throws {
            let manifest = try manifestOption.load()
            let destination = location.destination()
            let source = try resolveSource(manifest: manifest)
            print("fetching \(manifest.files.count) files from \(describe(source)) into \(destination.taskFolder.path)")
            let fetcher = DatasetFetcher(manifest: manifest, destination: destination)
            let summary = try fetcher.fetch(from: source) { print("  " + $0) }
            print("\(summary.written.count) written, \(summary.alreadyPresent.count) already present and verified")
        }

        private func resolveSource(manifest: DatasetManifest) throws -> DatasetSource {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            if let sourceDirectory {
                var folder = DataDirectory.absolute(sourceDirectory, from: cwd)
                // Accept a data directory too (the folder that holds site57/).
                let nested = folder.appendingPathComponent("site57", isDirectory: true)
                if FileManager.default.fileExists(atPath: nested.path) { folder = nested }
                return .directory(folder)
            }
            if let baseURL, let url = URL(string: baseURL) { return .baseURL(url) }
            if let shared = DataDirectory.sharedCopy(currentDirectory: cwd) { return .directory(shared.taskFolder) }
            guard let upstream = URL(string: manifest.upstream) else {
                throw ValidationError("the manifest's upstream URL '\(manifest.upstream)' is not a URL")
            }
            return .baseURL(upstream)
        }

        private func describe(_ source: DatasetSource) -> String {
            switch source {
            case .directory(let url): return url.path
            case .baseURL(let url): return url.absoluteString
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every task file in the data directory against the manifest (size and sha256)."
        )

        @OptionGroup var location: DataDirectoryOptions
        @OptionGroup var manifestOption: ManifestOption

        func run() throws {
            let manifest = try manifestOption.load()
            let directory = location.dataDirectory()
            try DatasetFetcher(manifest: manifest, destination: directory).verifyAll()
            print("\(manifest.files.count) files verified in \(directory.taskFolder.path)")
        }
    }
}

/// `--data-dir`, shared by the dataset, task and prompt commands.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (holds site57/); default $BENCH_DATA, else ./datasets.")
    var dataDirectoryPath: String?

    private var currentDirectory: URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    }

    /// Where files are read from (falls back to ../shared/datasets when nothing is fetched).
    func dataDirectory() -> DataDirectory {
        DataDirectory.resolve(
            flag: dataDirectoryPath, environment: ProcessInfo.processInfo.environment, currentDirectory: currentDirectory)
    }

    /// Where fetched files are written.
    func destination() -> DataDirectory {
        DataDirectory.destination(
            flag: dataDirectoryPath, environment: ProcessInfo.processInfo.environment, currentDirectory: currentDirectory)
    }

}

/// `--manifest`, for the commands that check files against it.
struct ManifestOption: ParsableArguments {
    @Option(help: "The dataset manifest.")
    var manifest: String = "datasets/manifest.json"

    func load() throws -> DatasetManifest {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return try DatasetManifest.load(from: DataDirectory.absolute(manifest, from: cwd))
    }
}
