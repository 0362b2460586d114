import Foundation
import PackagePlugin

/// Writes `BuildVersion.swift` (`let buildCodeVersion = "<git describe --always --dirty>"`) before
/// every build of the target that uses it, so a result row names the code the binary was built
/// from, not whatever checkout the binary happens to run in. Outside a git checkout (a source
/// archive) the version is "unknown". The file is rewritten only when the version changes, so an
/// unchanged tree recompiles nothing.
@main
struct BuildVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = """
            set -eu
            mkdir -p "$2"
            v=$(git -C "$1" describe --always --dirty 2>/dev/null || true)
            [ -n "$v" ] || v=unknown
            new="// Generated before each build by Plugins/BuildVersion.
            let buildCodeVersion = \\"$v\\""
            [ "$(cat "$2/BuildVersion.swift" 2>/dev/null || true)" = "$new" ] || printf '%s\\n' "$new" > "$2/BuildVersion.swift"
            """
        return [
            .prebuildCommand(
                displayName: "BuildVersion: git describe of \(context.package.directoryURL.path)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
