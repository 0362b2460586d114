import Foundation

/// Writes Float32 tensors as a safetensors file (header padded with spaces to a multiple of 8
/// bytes, tensors stored in the order given).
public enum SafetensorsWriter {
    /// - Parameters:
    ///   - tensors: name, row-major shape, values (`values.count` must equal the shape product).
    ///   - metadata: written as `__metadata__` when not empty.
    /// - Throws: `cannotWrite` for a duplicate name, a shape that does not match its values, or
    ///   an I/O failure.
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])], to url: URL,
                             metadata: [String: String] = [:]) throws(ModelFormatError) {
        var seen = Set<String>()
        var entries: [String] = []
        var offset = 0
        for tensor in tensors {
            guard tensor.name != "__metadata__", seen.insert(tensor.name).inserted else {
                throw .cannotWrite(path: url.path, reason: "duplicate or reserved tensor name '\(tensor.name)'")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw .cannotWrite(path: url.path, reason: "tensor '\(tensor.name)' has shape \(tensor.shape) but \(tensor.values.count) values")
            }
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.insert("\"__metadata__\":{\(fields.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for tensor in tensors {
            #if _endian(little)
            tensor.values.withUnsafeBytes { data.append(contentsOf: $0) }
            #else
            for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            #endif
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// A JSON string literal with the escapes JSON requires.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
