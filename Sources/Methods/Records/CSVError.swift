/// Why a CSV file's text does not read as rows; every case names the file and the line.
public enum CSVError: Error, CustomStringConvertible, Equatable {
    /// A record that does not parse: an unterminated quote, a stray quote, a wrong field count.
    case malformedRow(file: String, line: Int, reason: String)
    /// The header differs from the columns this build writes.
    case unexpectedHeader(file: String, expected: [String], found: [String])
    /// A field that does not hold a value of its column's type.
    case badField(file: String, line: Int, column: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .malformedRow(file, line, reason):
            return "\(file):\(line): malformed CSV row: \(reason)"
        case let .unexpectedHeader(file, expected, found):
            return "\(file):1: header is \(found.joined(separator: ",")), expected \(expected.joined(separator: ","))"
        case let .badField(file, line, column, value, expected):
            return "\(file):\(line): column \(column) holds '\(value)', expected \(expected)"
        }
    }
}
