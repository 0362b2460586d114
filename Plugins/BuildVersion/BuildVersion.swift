import Foundation
import PackagePlugin

/// Runs `scripts/build-version` before every build of the target that uses it: it writes
/// `BuildVersion.swift` (`let buildCodeVersion = "<git describe --always>"`, "-dirty" added when
/// a tracked file outside results/ has changed, "unknown" outside a git checkout), so a result
/// row names the code the binary was built from, not whatever checkout the binary happens to run in. The script is a file of its own so the tests
/// can run it.
@main
struct BuildVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "BuildVersion: git describe of \(package.path)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [package.appending(path: "scripts/build-version").path, package.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
