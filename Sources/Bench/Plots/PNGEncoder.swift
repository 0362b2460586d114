/// A minimal PNG writer of our own: an indexed-colour image (bit depth 4, up to 16 colours) in
/// one IDAT whose zlib stream holds stored (uncompressed) deflate blocks, with the chunks' CRC-32
/// and the stream's Adler-32. Scanlines use filter 0.
enum PNGEncoder {
    /// - Parameters:
    ///   - indices: (height, width) row-major palette indices, each < palette.count.
    ///   - palette: at most 16 (r, g, b) colours.
    /// - Precondition: sizes match and indices lie in the palette.
    static func encode(width: Int, height: Int, indices: [UInt8], palette: [(UInt8, UInt8, UInt8)]) -> [UInt8] {
        precondition(width > 0 && height > 0 && indices.count == width * height, "PNG: \(indices.count) indices for \(width)×\(height)")
        precondition(!palette.isEmpty && palette.count <= 16 && indices.allSatisfy { Int($0) < palette.count }, "PNG: palette of \(palette.count)")
        let rowBytes = (width + 1) / 2
        var raw = [UInt8]()
        raw.reserveCapacity(height * (rowBytes + 1))
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in stride(from: 0, to: width, by: 2) {
                let high = indices[y * width + x], low = x + 1 < width ? indices[y * width + x + 1] : 0
                raw.append(high << 4 | low)
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        // IHDR: width, height, bit depth 4, colour type 3 (indexed), deflate, filter 0, no interlace.
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [4, 3, 0, 0, 0])
        png += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] })
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    /// A zlib stream of stored deflate blocks (at most 65,535 bytes each) and the Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = min(65_535, data.count - start)
            let final: UInt8 = start + count == data.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE 00 (stored)
            out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[start..<(start + count)]
            start += count
        } while start < data.count
        return out + bigEndian(adler32(data))
    }

    /// Adler-32 (RFC 1950).
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    /// CRC-32 of PNG (ISO 3309, polynomial 0xEDB88320 reflected).
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
