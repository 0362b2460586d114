import Foundation

/// Small files written into a fresh temporary directory, for the error-path tests.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizers-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }
}

/// A minimal GGUF v3 writer (metadata only, no tensors) for tokenizer metadata.
enum GGUFWriter {
    enum Value {
        case string(String)
        case uint32(UInt32)
        case bool(Bool)
        case strings([String])
        case int32s([Int32])
        case floats([Float])
    }

    static func file(_ entries: [(String, Value)]) -> [UInt8] {
        var bytes: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &bytes)
        append(UInt64(0), to: &bytes)  // tensors
        append(UInt64(entries.count), to: &bytes)
        for (key, value) in entries {
            appendString(key, to: &bytes)
            switch value {
            case .string(let s):
                append(UInt32(8), to: &bytes)
                appendString(s, to: &bytes)
            case .uint32(let v):
                append(UInt32(4), to: &bytes)
                append(v, to: &bytes)
            case .bool(let v):
                append(UInt32(7), to: &bytes)
                bytes.append(v ? 1 : 0)
            case .strings(let list):
                append(UInt32(9), to: &bytes)
                append(UInt32(8), to: &bytes)
                append(UInt64(list.count), to: &bytes)
                for s in list { appendString(s, to: &bytes) }
            case .int32s(let list):
                append(UInt32(9), to: &bytes)
                append(UInt32(5), to: &bytes)
                append(UInt64(list.count), to: &bytes)
                for v in list { append(v, to: &bytes) }
            case .floats(let list):
                append(UInt32(9), to: &bytes)
                append(UInt32(6), to: &bytes)
                append(UInt64(list.count), to: &bytes)
                for v in list { append(v.bitPattern, to: &bytes) }
            }
        }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func appendString(_ s: String, to bytes: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &bytes)
        bytes.append(contentsOf: s.utf8)
    }
}
