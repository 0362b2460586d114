/// Why a call to the torch worker failed. Every case names the request (its id and op) where one
/// was in flight, so that a sweep's log says which call broke.
public enum WorkerError: Error, CustomStringConvertible, Equatable {
    /// The worker's Python or package could not be found or started.
    case cannotStart(String)
    /// No `ready` event within the start-up timeout.
    case notReady(seconds: Double, stderrTail: String)
    /// The worker exited (or its stdout ended) while a request was in flight or before it was ready.
    case exited(request: String, status: Int32?, stderrTail: String)
    /// No response within the request timeout; the worker was stopped.
    case timedOut(request: String, seconds: Double)
    /// A frame from the worker broke the protocol; the worker was stopped.
    case malformedFrame(request: String, problem: String)
    /// The worker answered `ok: false` (PROTOCOL.md's error kinds).
    case failed(request: String, kind: String, message: String)
    /// The response lacked a field or payload the op must return, or had the wrong shape.
    case badResponse(request: String, problem: String)
    /// A request was made after the worker had stopped.
    case stopped(request: String)

    public var description: String {
        func tail(_ text: String) -> String { text.isEmpty ? "" : "\nlast worker stderr:\n\(text)" }
        switch self {
        case .cannotStart(let why):
            return "torch worker: cannot start: \(why)"
        case .notReady(let seconds, let stderr):
            return "torch worker: no ready event within \(seconds) s\(tail(stderr))"
        case .exited(let request, let status, let stderr):
            let how = status.map { "exited with status \($0)" } ?? "closed its output"
            return "torch worker: \(how) during \(request)\(tail(stderr))"
        case .timedOut(let request, let seconds):
            return "torch worker: no response to \(request) within \(seconds) s; the worker was stopped"
        case .malformedFrame(let request, let problem):
            return "torch worker: malformed frame in the response to \(request): \(problem)"
        case .failed(_, let kind, let message):
            // The worker's message starts with "request <id> (<op>):".
            return "torch worker: \(kind): \(message)"
        case .badResponse(let request, let problem):
            return "torch worker: bad response to \(request): \(problem)"
        case .stopped(let request):
            return "torch worker: \(request) after the worker had stopped"
        }
    }
}
