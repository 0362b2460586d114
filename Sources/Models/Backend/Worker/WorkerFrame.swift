// The framing of torch_worker/PROTOCOL.md: u32 little-endian header length, a UTF-8 JSON header,
// then the payloads it lists (little-endian float32 or int32, C order, no padding).
import Foundation

/// One payload of a frame.
public struct WorkerPayload: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case float32([Float])
        case int32([Int32])
    }

    public var name: String
    public var shape: [Int]
    public var values: Values

    public init(name: String, shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "payload \(name): \(floats.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        values = .float32(floats)
    }

    public init(name: String, shape: [Int], ints: [Int32]) {
        precondition(shape.reduce(1, *) == ints.count, "payload \(name): \(ints.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        values = .int32(ints)
    }

    var dtype: String {
        if case .float32 = values { return "float32" }
        return "int32"
    }

    var count: Int {
        switch values {
        case .float32(let v): return v.count
        case .int32(let v): return v.count
        }
    }

    public var floats: [Float]? { if case .float32(let v) = values { return v } else { return nil } }
    public var ints: [Int32]? { if case .int32(let v) = values { return v } else { return nil } }
}

/// A message: a JSON header object and its payloads.
public struct WorkerFrame: @unchecked Sendable {
    /// The header without "payloads" (the payload list is written from `payloads`).
    public var header: [String: Any]
    public var payloads: [WorkerPayload]

    public init(header: [String: Any], payloads: [WorkerPayload] = []) {
        self.header = header
        self.payloads = payloads
    }

    /// The largest header the protocol allows.
    static let maximumHeaderBytes = 64 << 20

    public func payload(_ name: String) -> WorkerPayload? { payloads.first { $0.name == name } }

    /// The bytes of the frame.
    public func encoded() throws -> [UInt8] {
        var header = self.header
        header["payloads"] = payloads.map {
            ["name": $0.name, "dtype": $0.dtype, "shape": $0.shape, "nbytes": $0.count * 4] as [String: Any]
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 + json.count + payloads.reduce(0) { $0 + $1.count * 4 })
        let n = UInt32(json.count)
        bytes += [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        bytes += json
        for payload in payloads {
            switch payload.values {
            case .float32(let values):
                for v in values { appendLittleEndian(v.bitPattern, to: &bytes) }
            case .int32(let values):
                for v in values { appendLittleEndian(UInt32(bitPattern: v), to: &bytes) }
            }
        }
        return bytes
    }
}

@inline(__always)
private func appendLittleEndian(_ x: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(x & 0xFF))
    bytes.append(UInt8((x >> 8) & 0xFF))
    bytes.append(UInt8((x >> 16) & 0xFF))
    bytes.append(UInt8(x >> 24))
}

/// Where frames are read from: a pipe, or bytes in memory in tests.
public protocol ByteSource {
    /// Exactly `count` bytes, or fewer when the input ends first (empty at its end).
    mutating func read(_ count: Int) throws -> [UInt8]
}

/// Bytes in memory.
public struct MemoryByteSource: ByteSource {
    let bytes: [UInt8]
    var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(_ count: Int) throws -> [UInt8] {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// A file descriptor (the worker's stdout), read with blocking reads.
public struct FileDescriptorByteSource: ByteSource {
    let handle: FileHandle

    public init(_ handle: FileHandle) { self.handle = handle }

    public mutating func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        while out.count < count {
            guard let data = try handle.read(upToCount: count - out.count), !data.isEmpty else { break }
            out += data
        }
        return out
    }
}

/// Why bytes are not a frame.
public enum FrameProblem: Error, Equatable, CustomStringConvertible {
    /// The input ended inside a frame.
    case truncated(String)
    /// The bytes break the protocol.
    case malformed(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "the input ended inside a frame (\(what))"
        case .malformed(let what): return what
        }
    }
}

/// Reads frames one after another.
public struct FrameReader<Source: ByteSource> {
    var source: Source

    public init(_ source: Source) { self.source = source }

    /// The next frame; nil when the input ends at a frame boundary.
    /// - Throws: `FrameProblem` for a truncated or malformed frame.
    public mutating func next() throws -> WorkerFrame? {
        let prefix = try source.read(4)
        if prefix.isEmpty { return nil }
        guard prefix.count == 4 else { throw FrameProblem.truncated("\(prefix.count) of 4 length bytes") }
        let n = Int(littleEndianWord(prefix, at: 0))
        guard n >= 1 && n <= WorkerFrame.maximumHeaderBytes else {
            throw FrameProblem.malformed("header length \(n) outside 1...\(WorkerFrame.maximumHeaderBytes)")
        }
        let headerBytes = try source.read(n)
        guard headerBytes.count == n else { throw FrameProblem.truncated("\(headerBytes.count) of \(n) header bytes") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)), var header = object as? [String: Any] else {
            throw FrameProblem.malformed("the header is not a JSON object")
        }
        let specs = header.removeValue(forKey: "payloads") ?? []
        guard let list = specs as? [Any] else { throw FrameProblem.malformed("\"payloads\" is not a list") }
        var payloads = [WorkerPayload]()
        for (i, item) in list.enumerated() {
            guard let spec = item as? [String: Any], let name = spec["name"] as? String,
                  let dtype = spec["dtype"] as? String, let shape = spec["shape"] as? [Int], let nbytes = spec["nbytes"] as? Int
            else { throw FrameProblem.malformed("payload \(i): needs name, dtype, shape and nbytes") }
            guard dtype == "float32" || dtype == "int32" else { throw FrameProblem.malformed("payload \(name): dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }), nbytes == shape.reduce(1, *) * 4 else {
                throw FrameProblem.malformed("payload \(name): \(nbytes) bytes for shape \(shape)")
            }
            guard !payloads.contains(where: { $0.name == name }) else { throw FrameProblem.malformed("payload \(name) appears twice") }
            let bytes = try source.read(nbytes)
            guard bytes.count == nbytes else { throw FrameProblem.truncated("\(bytes.count) of \(nbytes) bytes of payload \(name)") }
            let words = stride(from: 0, to: nbytes, by: 4).map { littleEndianWord(bytes, at: $0) }
            payloads.append(dtype == "float32"
                ? WorkerPayload(name: name, shape: shape, floats: words.map(Float.init(bitPattern:)))
                : WorkerPayload(name: name, shape: shape, ints: words.map { Int32(bitPattern: $0) }))
        }
        return WorkerFrame(header: header, payloads: payloads)
    }
}

/// The u32 little-endian word at `offset`.
@inline(__always)
private func littleEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    let b0 = UInt32(bytes[offset]), b1 = UInt32(bytes[offset + 1])
    let b2 = UInt32(bytes[offset + 2]), b3 = UInt32(bytes[offset + 3])
    return b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
}
