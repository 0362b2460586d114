import Foundation

/// Runs a program found on `PATH` to completion and returns what it printed (stdout and stderr
/// together, in order).
/// - Throws: `ModelStoreError.commandFailed` when it cannot start or exits with a non-zero status.
func runProgram(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    let commandLine = ([program] + arguments).joined(separator: " ")
    do {
        try process.run()
    } catch {
        throw ModelStoreError.commandFailed(command: commandLine, status: -1, output: "\(error)")
    }
    // Drain before waiting: a child that fills the pipe would otherwise block forever.
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: output, as: UTF8.self)
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        throw ModelStoreError.commandFailed(command: commandLine, status: process.terminationStatus, output: text)
    }
    return text
}
