#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only memory map of a whole file. The mapping lives as long as this object, so raw
/// pointers handed out by the readers stay valid while the reader is alive.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// Start of the mapping; a dangling but never dereferenced pointer when the file is empty.
    let base: UnsafeRawPointer
    let count: Int
    private let isMapped: Bool

    init(path: String) throws(ModelFormatError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = UnsafeRawPointer(bitPattern: 0x10)!
            isMapped = false
            return
        }
        guard let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0),
              address != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(address)
        isMapped = true
    }

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The bytes `range` of the file; the caller has checked that the range lies inside it.
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "byte range \(range) outside \(path) (\(count) bytes)")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
