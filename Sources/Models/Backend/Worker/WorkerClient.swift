import Foundation

/// How to start a worker.
public struct WorkerLaunch: Sendable {
    /// The program and its arguments (for the torch worker: the venv's python, `-m torch_worker`).
    public var executable: URL
    public var arguments: [String]
    /// Added to the inherited environment.
    public var environment: [String: String]
    /// Seconds to wait for the `ready` event (importing torch takes seconds).
    public var startTimeout: Double
    /// Seconds to wait for each response unless a request says otherwise.
    public var requestTimeout: Double
    /// Whether the worker's stderr (logs, progress, tracebacks) is copied to ours as it comes;
    /// its last lines are kept for error messages either way.
    public var forwardsStderr: Bool

    public init(
        executable: URL, arguments: [String] = [], environment: [String: String] = [:], startTimeout: Double = 120,
        requestTimeout: Double = 1800, forwardsStderr: Bool = false
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.startTimeout = startTimeout
        self.requestTimeout = requestTimeout
        self.forwardsStderr = forwardsStderr
    }

    /// `python -m torch_worker` with the project on PYTHONPATH.
    /// - Parameters:
    ///   - python: the interpreter (nil: the project's `.venv-torch/bin/python`).
    ///   - threads: OMP_NUM_THREADS for the worker's CPU work (nil: torch's choice).
    public static func torchWorker(projectRoot: URL, python: URL? = nil, threads: Int? = nil) -> WorkerLaunch {
        var environment = ["PYTHONPATH": projectRoot.path]
        if let threads { environment["OMP_NUM_THREADS"] = "\(threads)" }
        return WorkerLaunch(
            executable: python ?? projectRoot.appendingPathComponent(".venv-torch/bin/python"), arguments: ["-m", "torch_worker"],
            environment: environment)
    }
}

/// A running worker: one child process answering framed requests one at a time
/// (torch_worker/PROTOCOL.md). Every failure — the worker dying, closing its output, hanging
/// past a timeout, sending a malformed frame or answering `ok: false` — is a `WorkerError`
/// naming the request. After a timeout or a malformed frame the worker is stopped.
///
/// The worker always ends with the client: `shutdown`, a failure and `deinit` close its input,
/// stop its whole process group if it lingers and wait until Foundation has reaped it. A child
/// left unreaped is a zombie that whoever waits for "any child" keeps finding (Swift Testing's
/// exit-test monitor spins on one forever, and the exit tests of the same run never finish); and
/// a helper the worker started (the test stand-ins' `cat`) holds the socket by which Foundation
/// notices the exit, so killing the leader alone leaves it unreaped.
public final class WorkerClient: @unchecked Sendable {
    public let launch: WorkerLaunch
    /// The `ready` event's header (protocol, versions).
    public private(set) var readyHeader: [String: Any] = [:]
    private let process = Process()
    private let stdin: FileHandle
    private let inbox = Inbox()
    private let stderrTail = StderrTail()
    private var nextId = 1
    /// No more requests are sent.
    private var stopped = false
    /// The worker has been ended (and reaped, unless it outlived SIGKILL's grace).
    private var ended = false
    private let lock = NSLock()

    /// Starts the worker and waits for its `ready` event.
    /// - Throws: `WorkerError.cannotStart`, `.notReady`, `.exited` or `.malformedFrame`.
    public init(_ launch: WorkerLaunch) throws {
        self.launch = launch
        guard FileManager.default.isExecutableFile(atPath: launch.executable.path) else {
            throw WorkerError.cannotStart("\(launch.executable.path) is not an executable file (scripts/torch-env creates .venv-torch; --worker-python names another Python)")
        }
        // A worker that died leaves a closed pipe: writing to it must be an error to report, not
        // the SIGPIPE that would end this process (the only process-wide setting the client makes).
        signal(SIGPIPE, SIG_IGN)
        let input = Pipe(), output = Pipe(), errors = Pipe()
        // Our ends must not leak into other children (an exit test's process, another worker):
        // a leaked input end keeps a worker from ever reading the end of its input. The worker's
        // ends become its fds 0–2 by dup2, which clears the flag there.
        for pipe in [input, output, errors] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        process.executableURL = launch.executable
        process.arguments = launch.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        stdin = input.fileHandleForWriting
        do {
            try process.run()
        } catch {
            throw WorkerError.cannotStart("\(launch.executable.path): \(error)")
        }
        let inbox = self.inbox, tail = self.stderrTail, forwards = launch.forwardsStderr
        let stdout = output.fileHandleForReading, stderr = errors.fileHandleForReading
        Thread.detachNewThread {
            var reader = FrameReader(FileDescriptorByteSource(stdout))
            while true {
                do {
                    guard let frame = try reader.next() else { inbox.put(.end); return }
                    inbox.put(.frame(frame))
                } catch {
                    inbox.put(.problem("\(error)"))
                    return
                }
            }
        }
        Thread.detachNewThread {
            while let data = try? stderr.read(upToCount: 4096), !data.isEmpty {
                tail.append(data)
                if forwards { FileHandle.standardError.write(data) }
            }
        }
        let ready = try receive(request: "start-up", timeout: launch.startTimeout, notReady: true)
        guard ready.header["event"] as? String == "ready", ready.header["ok"] as? Bool == true else {
            end(askingFirst: false)
            throw WorkerError.malformedFrame(request: "start-up", problem: "the first frame is not the ready event")
        }
        readyHeader = ready.header
    }

    deinit { shutdown() }

    /// Sends `op` with `fields` and `payloads` and returns the `ok: true` response.
    /// - Throws: `WorkerError` naming the request.
    public func request(
        _ op: String, fields: [String: Any] = [:], payloads: [WorkerPayload] = [], timeout: Double? = nil
    ) throws -> WorkerFrame {
        lock.lock()
        defer { lock.unlock() }
        let id = nextId
        nextId += 1
        let name = "request \(id) (\(op))"
        guard !stopped else { throw WorkerError.stopped(request: name) }
        var header = fields
        header["id"] = id
        header["op"] = op
        let bytes: [UInt8]
        do {
            bytes = try WorkerFrame(header: header, payloads: payloads).encoded()
        } catch {
            throw WorkerError.badResponse(request: name, problem: "the request cannot be written as JSON: \(error)")
        }
        do {
            try stdin.write(contentsOf: Data(bytes))
        } catch {
            // A closed pipe: the worker is gone; its exit status says why.
            throw exitError(request: name)
        }
        let response = try receive(request: name, timeout: timeout ?? launch.requestTimeout, notReady: false)
        guard (response.header["id"] as? Int) == id else {
            end(askingFirst: false)
            throw WorkerError.malformedFrame(request: name, problem: "the response has id \(String(describing: response.header["id"]))")
        }
        if response.header["ok"] as? Bool == true { return response }
        let error = response.header["error"] as? [String: Any]
        throw WorkerError.failed(
            request: name, kind: error?["kind"] as? String ?? "unknown",
            message: error?["message"] as? String ?? "\(name): the worker answered ok: false without an error")
    }

    /// Asks the worker to exit and waits for it (10 s); stops its process group if it does not.
    /// Returns once the worker is reaped; later calls return at once.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        end(askingFirst: !stopped)
    }

    /// The worker's process id (tests stop it to check the error a sweep then gets).
    public var processIdentifier: Int32 { process.processIdentifier }

    private func receive(request: String, timeout: Double, notReady: Bool) throws -> WorkerFrame {
        switch inbox.take(timeout: timeout) {
        case .frame(let frame)?:
            return frame
        case .end?:
            throw exitError(request: request)
        case .problem(let problem)?:
            end(askingFirst: false)
            throw WorkerError.malformedFrame(request: request, problem: problem)
        case nil:
            end(askingFirst: false)
            if notReady { throw WorkerError.notReady(seconds: timeout, stderrTail: stderrTail.text) }
            throw WorkerError.timedOut(request: request, seconds: timeout)
        }
    }

    /// The worker's output ended: its exit status (when it exits soon) and its last stderr.
    private func exitError(request: String) -> WorkerError {
        let exited = waitForExit(seconds: 5)
        // A worker that closed its output but runs on is stopped all the same.
        end(askingFirst: false)
        // Let the stderr thread drain what the worker wrote last.
        Thread.sleep(forTimeInterval: 0.05)
        return .exited(request: request, status: exited ? process.terminationStatus : nil, stderrTail: stderrTail.text)
    }

    /// Whether the worker exited and was reaped within `seconds` (Foundation's `isRunning` turns
    /// false after its waitpid).
    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !process.isRunning
    }

    /// Ends the worker for good: asks it to exit (when `askingFirst`), closes its input, waits
    /// (10 s when asked, else not at all), then SIGTERM and, 5 s later, SIGKILL to its process
    /// group, and waits until Foundation has reaped it. Idempotent; the caller holds `lock` or is
    /// `init`/`deinit`.
    private func end(askingFirst: Bool) {
        stopped = true
        guard !ended else { return }
        ended = true
        if askingFirst && process.isRunning, let bytes = try? WorkerFrame(header: ["id": nextId, "op": "shutdown"]).encoded() {
            try? stdin.write(contentsOf: Data(bytes))
        }
        try? stdin.close()
        if waitForExit(seconds: askingFirst ? 10 : 0) { return }
        signalGroup(SIGTERM)
        if waitForExit(seconds: 5) { return }
        signalGroup(SIGKILL)
        _ = waitForExit(seconds: 10)
    }

    /// Sends `signal` to the worker's process group (Foundation starts every child as the
    /// leader of its own group), so that what it started goes too. Only while it is unreaped:
    /// a reaped pid may already name another process.
    private func signalGroup(_ signal: Int32) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }
}

/// What the stdout thread hands over.
private enum Incoming {
    case frame(WorkerFrame)
    case end
    case problem(String)
}

/// A queue from the stdout thread to the requesting thread.
private final class Inbox: @unchecked Sendable {
    private var items = [Incoming]()
    private let condition = NSCondition()

    func put(_ item: Incoming) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// The next item, or nil after `timeout` seconds.
    func take(timeout: Double) -> Incoming? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty {
            if !condition.wait(until: deadline) { return nil }
        }
        return items.removeFirst()
    }
}

/// The last few kilobytes the worker wrote to stderr.
private final class StderrTail: @unchecked Sendable {
    private var bytes = [UInt8]()
    private let lock = NSLock()
    private let limit = 4000

    func append(_ data: Data) {
        lock.lock()
        bytes += data
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
