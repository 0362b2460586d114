import TestSupport
import Foundation
import Testing
import ModelFormats

/// Types that have no tensor in the fixtures (and the ones that do) decode hand-built blocks
/// to exactly the values they encode, directly and through a GGUF file, whole and by rows.
@Suite struct DequantizationRoundTripTests {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1,
                                    .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K]

    @Test(arguments: types)
    func blocksDecodeExactly(type: GGMLType) throws {
        var rng = SeededGenerator(seed: 0x5EED_0000 + UInt64(type.rawValue))
        let blockCount = type.blockSize == 1 ? 512 : 12
        let encoded = BlockEncoders.encode(type, blocks: blockCount, using: &rng)
        #expect(type.isDequantizable)
        #expect(encoded.bytes.count == type.byteCount(elements: encoded.values.count))
        var decoded = [Float](repeating: .nan, count: encoded.values.count)
        encoded.bytes.withUnsafeBytes { source in
            decoded.withUnsafeMutableBufferPointer { type.dequantize(source, elementCount: $0.count, into: $0.baseAddress!) }
        }
        let mismatches = zip(decoded, encoded.values).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(mismatches.count == 0, "\(type.name): \(mismatches.count) mismatches, first \(mismatches.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" })")
    }

    @Test(arguments: types)
    func tensorsInAFileDecodeExactly(type: GGMLType) throws {
        var rng = SeededGenerator(seed: 0xF11E_0000 + UInt64(type.rawValue))
        let rowLength = type.blockSize == 1 ? 48 : 2 * type.blockSize
        let rows = 5
        let encoded = BlockEncoders.encode(type, blocks: rows * rowLength / type.blockSize, using: &rng)
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("test"))
        writer.addTensor("before", dimensions: [3], type: .f32, data: [UInt8](repeating: 0, count: 12))
        writer.addTensor("matrix", dimensions: [rowLength, rows], type: type, data: encoded.bytes)
        let directory = try TemporaryDirectory()
        let file = try GGUFFile(contentsOf: directory.write(writer))
        let info = try file.tensorInfo(named: "matrix")
        #expect(info.type == type && info.rowLength == rowLength && info.rowCount == rows)
        #expect(info.byteCount == encoded.bytes.count)
        #expect(Array(file.rawBytes(of: info)) == encoded.bytes)
        #expect(try file.dequantize(info) == encoded.values)
        #expect(try file.dequantizeRows(info, rows: 2..<4) == Array(encoded.values[(2 * rowLength)..<(4 * rowLength)]))
        var last = [Float](repeating: 0, count: rowLength)
        try last.withUnsafeMutableBufferPointer { try file.dequantizeRows(info, rows: 4..<5, into: $0.baseAddress!) }
        #expect(last == Array(encoded.values.suffix(rowLength)))
        #expect(try file.dequantizeRows(info, rows: 3..<3).isEmpty)
    }

    /// The concurrent path splits work into chunks; its output equals the serial one.
    @Test func concurrentDecodingMatchesSerial() throws {
        var rng = SeededGenerator(seed: 42)
        let encoded = BlockEncoders.encode(.q4_K, blocks: 3000, using: &rng)  // 768k elements, several chunks
        var serial = [Float](repeating: 0, count: encoded.values.count)
        var parallel = serial
        encoded.bytes.withUnsafeBytes { source in
            serial.withUnsafeMutableBufferPointer { GGMLType.q4_K.dequantize(source, elementCount: $0.count, into: $0.baseAddress!) }
            parallel.withUnsafeMutableBufferPointer { GGMLType.q4_K.dequantizeConcurrently(source, elementCount: $0.count, into: $0.baseAddress!) }
        }
        #expect(serial == encoded.values)
        #expect(parallel == serial)
    }

    @Test func blockSizesMatchGGML() {
        let expected: [GGMLType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22),
            .q5_1: (32, 24), .q8_0: (32, 34), .q8_1: (32, 36), .q2_K: (256, 84), .q3_K: (256, 110),
            .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        ]
        for (type, (block, bytes)) in expected {
            #expect(type.blockSize == block && type.bytesPerBlock == bytes, "\(type.name)")
        }
        #expect(GGMLType(rawValue: 30) == .bf16)
        #expect(GGMLType(rawValue: 4) == nil)
    }
}
