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

    /// `python -m torch_worker` from the project's `.venv-torch`, with the project on PYTHONPATH.
    /// - Parameter threads: OMP_NUM_THREADS for the worker's CPU work (nil: torch's choice).
    public static func torchWorker(projectRoot: URL, threads: Int? = nil) -> WorkerLaunch {
        var environment = ["PYTHONPATH": projectRoot.path]
        if let threads { environment["OMP_NUM_THREADS"] = "\(threads)" }
        return WorkerLaunch(
            executable: projectRoot.appendingPathComponent(".venv-torch/bin/python"), arguments: ["-m", "torch_worker"],
            environment: environment)
    }
}

/// A running worker: one child process answering framed requests one at a time
/// (torch_worker/PROTOCOL.md). Every failure — the worker dying, closing its output, hanging
/// past a timeout, sending a malformed frame or answering `ok: false` — is a `WorkerError`
/// naming the request. After a timeout or a malformed frame the worker is stopped.
public final class WorkerClient: @unchecked Sendable {
    public let launch: WorkerLaunch
    /// The `ready` event's header (protocol, versions).
    public private(set) var readyHeader: [String: Any] = [:]
    private let process = Process()
    private let stdin: FileHandle
    private let inbox = Inbox()
    private let stderrTail = StderrTail()
    private var nextId = 1
    private var stopped = false
    private let lock = NSLock()

    /// Starts the worker and waits for its `ready` event.
    /// - Throws: `WorkerError.cannotStart`, `.notReady`, `.exited` or `.malformedFrame`.
    public init(_ launch: WorkerLaunch) throws {
        self.launch = launch
        guard FileManager.default.isExecutableFile(atPath: launch.executable.path) else {
            throw WorkerError.cannotStart("\(launch.executable.path) is not an executable file (scripts/torch-env creates .venv-torch)")
        }
        // A worker that died leaves a closed pipe: writing to it must be an error to report, not
        // the SIGPIPE that would end this process (the only process-wide setting the client makes).
        signal(SIGPIPE, SIG_IGN)
        let input = Pipe(), output = Pipe(), errors = Pipe()
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
            stop()
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
            stop()
            throw WorkerError.malformedFrame(request: name, problem: "the response has id \(String(describing: response.header["id"]))")
        }
        if response.header["ok"] as? Bool == true { return response }
        let error = response.header["error"] as? [String: Any]
        throw WorkerError.failed(
            request: name, kind: error?["kind"] as? String ?? "unknown",
            message: error?["message"] as? String ?? "\(name): the worker answered ok: false without an error")
    }

    /// Asks the worker to exit and waits briefly; stops it if it does not.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        if process.isRunning {
            let header: [String: Any] = ["id": nextId, "op": "shutdown"]
            if let bytes = try? WorkerFrame(header: header).encoded() { try? stdin.write(contentsOf: Data(bytes)) }
            try? stdin.close()
            if !waitForExit(seconds: 10) { process.terminate() }
        }
        stopped = true
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
            stop()
            throw WorkerError.malformedFrame(request: request, problem: problem)
        case nil:
            stop()
            if notReady { throw WorkerError.notReady(seconds: timeout, stderrTail: stderrTail.text) }
            throw WorkerError.timedOut(request: request, seconds: timeout)
        }
    }

    /// The worker's output ended: its exit status (when it exits soon) and its last stderr.
    private func exitError(request: String) -> WorkerError {
        let exited = waitForExit(seconds: 5)
        stopped = true
        // Let the stderr thread drain what the worker wrote last.
        Thread.sleep(forTimeInterval: 0.05)
        return .exited(request: request, status: exited ? process.terminationStatus : nil, stderrTail: stderrTail.text)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !process.isRunning
    }

    private func stop() {
        stopped = true
        if process.isRunning {
            process.terminate()
            if !waitForExit(seconds: 5) { kill(process.processIdentifier, SIGKILL) }
        }
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
