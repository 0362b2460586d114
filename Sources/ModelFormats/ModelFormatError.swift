/// Errors raised while reading GGUF or safetensors files.
///
/// Every case carries the path of the file it concerns; `description` starts with that path so
/// that a message in a log always says which file was wrong.
public enum ModelFormatError: Error, Equatable, Sendable {
    /// The file could not be opened or mapped.
    case cannotOpen(path: String, reason: String)
    /// Fewer bytes were left than the structure being read needs.
    case truncated(path: String, what: String, offset: Int, needed: Int, available: Int)
    /// The first four bytes are not the expected magic.
    case badMagic(path: String, found: UInt32)
    /// The GGUF version is not one this reader understands (2 and 3 are).
    case unsupportedVersion(path: String, version: UInt32)
    /// A count read from the file (tensors, keys, array elements, string bytes, dims) cannot be
    /// true: the bytes left in the file could not hold that many items.
    case implausibleCount(path: String, what: String, count: UInt64, bytesLeft: Int)
    /// Arrays nested deeper than the reader accepts (a guard against stack exhaustion).
    case nestingTooDeep(path: String, key: String, depth: Int)
    /// A metadata value has a type code that GGUF does not define.
    case unknownValueType(path: String, key: String, rawType: UInt32)
    /// A tensor has a ggml type code this reader does not know.
    case unknownTensorType(path: String, tensor: String, rawType: UInt32)
    /// The same metadata key or tensor name appears twice.
    case duplicateName(path: String, what: String, name: String)
    /// `general.alignment` is not a positive power of two.
    case invalidAlignment(path: String, value: String)
    /// A tensor's dimensions are not usable (too many, zero, overflowing product, or ne0 not a
    /// multiple of the block size).
    case invalidTensorShape(path: String, tensor: String, dimensions: [UInt64], reason: String)
    /// A tensor's data offset is not a multiple of the file's alignment.
    case misalignedTensor(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes run past the end of the file.
    case tensorOutOfBounds(path: String, tensor: String, start: UInt64, end: UInt64, fileSize: Int)
    /// A tensor was asked for by name and is not in the file.
    case missingTensor(path: String, tensor: String)
    /// A metadata key was asked for and is not in the file.
    case missingMetadata(path: String, key: String)
    /// A metadata key holds a value of another type than the one asked for.
    case metadataTypeMismatch(path: String, key: String, expected: String, found: String)
    /// The tensor's type has no dequantiser in this module.
    case unsupportedDequantization(path: String, tensor: String, type: String)
    /// Rows were asked for outside the tensor.
    case rowsOutOfRange(path: String, tensor: String, rows: Range<Int>, rowCount: Int)
    /// A safetensors header is not the JSON object the format prescribes.
    case invalidHeader(path: String, reason: String)
    /// A safetensors dtype string this reader does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The byte range of a tensor does not match its shape and dtype.
    case byteCountMismatch(path: String, tensor: String, expected: Int, found: Int)
    /// Two tensors claim overlapping bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// A tensor's dtype cannot be converted to Float.
    case notFloatingPoint(path: String, tensor: String, dtype: String)
    /// A tensor's dtype is floating point where integers were asked for.
    case notInteger(path: String, tensor: String, dtype: String)
    /// A shard named in a safetensors index is not on disk.
    case missingShard(path: String, shard: String, tensor: String)
    /// A folder holds neither `model.safetensors` nor `model.safetensors.index.json`.
    case noSafetensors(path: String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
}

extension ModelFormatError: CustomStringConvertible {
    /// The path of the file the error concerns.
    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .truncated(let path, _, _, _, _), .badMagic(let path, _),
             .unsupportedVersion(let path, _), .implausibleCount(let path, _, _, _),
             .unknownValueType(let path, _, _), .nestingTooDeep(let path, _, _), .unknownTensorType(let path, _, _),
             .duplicateName(let path, _, _), .invalidAlignment(let path, _),
             .invalidTensorShape(let path, _, _, _), .misalignedTensor(let path, _, _, _),
             .tensorOutOfBounds(let path, _, _, _, _), .missingTensor(let path, _),
             .missingMetadata(let path, _), .metadataTypeMismatch(let path, _, _, _),
             .unsupportedDequantization(let path, _, _), .rowsOutOfRange(let path, _, _, _),
             .invalidHeader(let path, _), .unknownDType(let path, _, _),
             .byteCountMismatch(let path, _, _, _), .overlappingTensors(let path, _, _),
             .notFloatingPoint(let path, _, _), .notInteger(let path, _, _), .missingShard(let path, _, _),
             .noSafetensors(let path), .cannotWrite(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open: \(reason)"
        case .truncated(let path, let what, let offset, let needed, let available):
            return "\(path): truncated while reading \(what) at byte \(offset): needs \(needed) bytes, \(available) left"
        case .badMagic(let path, let found):
            return "\(path): not a GGUF file (magic 0x\(String(found, radix: 16)), expected 0x46554747 \"GGUF\")"
        case .unsupportedVersion(let path, let version):
            let hint = version == 1 ? " (GGUF v1 used 32-bit counts; convert the file with a newer llama.cpp)"
                : version > 0xFFFF ? " (a big-endian file?)" : ""
            return "\(path): unsupported GGUF version \(version); versions 2 and 3 are read\(hint)"
        case .implausibleCount(let path, let what, let count, let bytesLeft):
            return "\(path): \(what) of \(count) cannot fit in the \(bytesLeft) bytes left in the file"
        case .nestingTooDeep(let path, let key, let depth):
            return "\(path): metadata key '\(key)' nests arrays more than \(depth) deep"
        case .unknownValueType(let path, let key, let rawType):
            return "\(path): metadata key '\(key)' has unknown value type \(rawType)"
        case .unknownTensorType(let path, let tensor, let rawType):
            return "\(path): tensor '\(tensor)' has unknown ggml type \(rawType)"
        case .duplicateName(let path, let what, let name):
            return "\(path): duplicate \(what) '\(name)'"
        case .invalidAlignment(let path, let value):
            return "\(path): general.alignment must be a positive power of two, found \(value)"
        case .invalidTensorShape(let path, let tensor, let dimensions, let reason):
            return "\(path): tensor '\(tensor)' has invalid dimensions \(dimensions): \(reason)"
        case .misalignedTensor(let path, let tensor, let offset, let alignment):
            return "\(path): tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorOutOfBounds(let path, let tensor, let start, let end, let fileSize):
            return "\(path): tensor '\(tensor)' occupies bytes \(start)..<\(end), past the end of the file (\(fileSize) bytes)"
        case .missingTensor(let path, let tensor):
            return "\(path): no tensor named '\(tensor)'"
        case .missingMetadata(let path, let key):
            return "\(path): no metadata key '\(key)'"
        case .metadataTypeMismatch(let path, let key, let expected, let found):
            return "\(path): metadata key '\(key)' is \(found), expected \(expected)"
        case .unsupportedDequantization(let path, let tensor, let type):
            return "\(path): tensor '\(tensor)' has type \(type), which cannot be dequantised here"
        case .rowsOutOfRange(let path, let tensor, let rows, let rowCount):
            return "\(path): rows \(rows) asked of tensor '\(tensor)', which has \(rowCount) rows"
        case .invalidHeader(let path, let reason):
            return "\(path): invalid safetensors header: \(reason)"
        case .unknownDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .byteCountMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)' should hold \(expected) bytes for its shape and dtype, its range holds \(found)"
        case .overlappingTensors(let path, let first, let second):
            return "\(path): tensors '\(first)' and '\(second)' overlap"
        case .notFloatingPoint(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), which is not floating point"
        case .notInteger(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), which is not an integer type"
        case .missingShard(let path, let shard, let tensor):
            return "\(path): shard '\(shard)' (listed for tensor '\(tensor)') does not exist"
        case .noSafetensors(let path):
            return "\(path): holds neither model.safetensors nor model.safetensors.index.json"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write: \(reason)"
        }
    }
}
