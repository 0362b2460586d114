import Foundation
import Models
import Testing

/// The framing of torch_worker/PROTOCOL.md against well-formed and broken byte streams.
@Suite struct WorkerFrameTests {
    func read(_ bytes: [UInt8]) throws -> [WorkerFrame] {
        var reader = FrameReader(MemoryByteSource(bytes))
        var frames = [WorkerFrame]()
        while let frame = try reader.next() { frames.append(frame) }
        return frames
    }

    /// A frame written by hand: the length prefix, `header` as given, then `payload` bytes.
    func raw(_ header: String, payload: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        let n = UInt32(json.count)
        return [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)] + json + payload
    }

    func problem(_ bytes: [UInt8]) -> FrameProblem? {
        do {
            _ = try read(bytes)
            return nil
        } catch let problem as FrameProblem {
            return problem
        } catch {
            return nil
        }
    }

    @Test func framesRoundTripWithTheirPayloads() throws {
        let first = WorkerFrame(header: ["id": 7, "op": "forward", "logits": "last"], payloads: [
            WorkerPayload(name: "ids", shape: [3], ints: [1, -2, 70000]),
            WorkerPayload(name: "x", shape: [2, 2], floats: [0.5, -1.25, .infinity, 3e-7]),
            WorkerPayload(name: "empty", shape: [0, 4], floats: []),
        ])
        let second = WorkerFrame(header: ["id": 8, "ok": true])
        let frames = try read(try first.encoded() + second.encoded())
        #expect(frames.count == 2)
        #expect(frames[0].header["id"] as? Int == 7)
        #expect(frames[0].header["op"] as? String == "forward")
        #expect(frames[0].header["payloads"] == nil)
        #expect(frames[0].payloads == first.payloads)
        #expect(frames[1].header["ok"] as? Bool == true)
        #expect(frames[1].payloads.isEmpty)
    }

    @Test func theLengthPrefixIsLittleEndianAndPayloadsFollowTheHeader() throws {
        let bytes = try WorkerFrame(header: ["id": 1], payloads: [WorkerPayload(name: "v", shape: [], floats: [1])]).encoded()
        let n = Int(bytes[0]) + Int(bytes[1]) * 256
        #expect(bytes[2] == 0 && bytes[3] == 0)
        #expect(bytes.count == 4 + n + 4)
        #expect(Array(bytes.suffix(4)) == [0x00, 0x00, 0x80, 0x3F])  // 1.0f little-endian
    }

    @Test func anEmptyStreamHasNoFrames() throws {
        #expect(try read([]).isEmpty)
    }

    @Test func truncatedStreamsAreTruncatedFrames() throws {
        let whole = try WorkerFrame(header: ["id": 1], payloads: [WorkerPayload(name: "v", shape: [2], floats: [1, 2])]).encoded()
        let n = Int(whole[0]) + Int(whole[1]) * 256
        for cut in [2, 4 + n / 2, 4 + n + 3] {
            guard case .truncated? = problem(Array(whole.prefix(cut))) else {
                Issue.record("cut after \(cut) bytes: not a truncated frame")
                continue
            }
        }
    }

    @Test func badLengthPrefixesAreMalformed() throws {
        #expect(problem([0, 0, 0, 0]) == .malformed("header length 0 outside 1...67108864"))
        #expect(problem([0xFF, 0xFF, 0xFF, 0x7F]) == .malformed("header length 2147483647 outside 1...67108864"))
    }

    @Test func headersThatAreNotJSONObjectsAreMalformed() throws {
        #expect(problem(raw("{\"id\": 1")) == .malformed("the header is not a JSON object"))
        #expect(problem(raw("[1, 2]")) == .malformed("the header is not a JSON object"))
        #expect(problem(raw("\u{FF}")) == .malformed("the header is not a JSON object"))
    }

    @Test func badPayloadSpecsAreMalformed() throws {
        #expect(problem(raw(#"{"id": 1, "payloads": 3}"#)) == .malformed("\"payloads\" is not a list"))
        #expect(problem(raw(#"{"id": 1, "payloads": [{"name": "x", "dtype": "float32", "shape": [2]}]}"#))
            == .malformed("payload 0: needs name, dtype, shape and nbytes"))
        #expect(problem(raw(#"{"id": 1, "payloads": [{"name": "x", "dtype": "float64", "shape": [1], "nbytes": 8}]}"#, payload: [UInt8](repeating: 0, count: 8)))
            == .malformed("payload x: dtype float64"))
        #expect(problem(raw(#"{"id": 1, "payloads": [{"name": "x", "dtype": "float32", "shape": [3], "nbytes": 8}]}"#, payload: [UInt8](repeating: 0, count: 8)))
            == .malformed("payload x: 8 bytes for shape [3]"))
        let twice = #"{"id": 1, "payloads": [{"name": "x", "dtype": "int32", "shape": [1], "nbytes": 4}, {"name": "x", "dtype": "int32", "shape": [1], "nbytes": 4}]}"#
        #expect(problem(raw(twice, payload: [UInt8](repeating: 0, count: 8))) == .malformed("payload x appears twice"))
    }
}
