import Foundation
import Models
import Testing

/// The client's error mapping, against stand-in workers written in sh (no Python): each failure
/// of a worker becomes a `WorkerError` naming the request.
@Suite struct WorkerClientTests {
    static let ready = WorkerFrame(header: ["id": NSNull(), "ok": true, "event": "ready", "protocol": 1])

    /// A stand-in worker: sh runs `script` with $1 = a file holding `frames`.
    func launch(_ script: String, frames: [WorkerFrame] = [ready], raw: [UInt8] = [], startTimeout: Double = 20,
                requestTimeout: Double = 20) throws -> WorkerLaunch {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("worker-frames-\(UUID().uuidString).bin")
        try Data(try frames.flatMap { try $0.encoded() } + raw).write(to: file)
        return WorkerLaunch(
            executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script, "sh", file.path],
            startTimeout: startTimeout, requestTimeout: requestTimeout)
    }

    func error(_ body: () throws -> Void) -> WorkerError? {
        do {
            try body()
            return nil
        } catch let e as WorkerError {
            return e
        } catch {
            Issue.record("not a WorkerError: \(error)")
            return nil
        }
    }

    @Test func aMissingPythonCannotStart() {
        let e = error { _ = try WorkerClient(WorkerLaunch(executable: URL(fileURLWithPath: "/nonexistent/.venv-torch/bin/python"))) }
        #expect(e == .cannotStart("/nonexistent/.venv-torch/bin/python is not an executable file (scripts/torch-env creates .venv-torch; --worker-python names another Python)"))
    }

    @Test func aWorkerThatExitsBeforeReadyReportsItsStatusAndStderr() throws {
        let e = error { _ = try WorkerClient(try launch("echo 'ImportError: no torch' >&2; exit 3")) }
        #expect(e == .exited(request: "start-up", status: 3, stderrTail: "ImportError: no torch"))
        #expect(e?.description.contains("exited with status 3 during start-up") == true)
    }

    @Test func aWorkerThatNeverSaysReadyTimesOut() throws {
        let e = error { _ = try WorkerClient(try launch("exec sleep 30", startTimeout: 0.5)) }
        #expect(e == .notReady(seconds: 0.5, stderrTail: ""))
    }

    @Test func aResponseAfterTheTimeoutIsAHang() throws {
        let client = try WorkerClient(try launch(#"cat "$1"; cat >/dev/null"#, requestTimeout: 0.5))
        let e = error { _ = try client.request("forward") }
        #expect(e == .timedOut(request: "request 1 (forward)", seconds: 0.5))
        // The hung worker was stopped: later requests say so instead of waiting again.
        #expect(error { _ = try client.request("info") } == .stopped(request: "request 2 (info)"))
    }

    /// A stopped worker leaves no process behind: neither the worker (reaped, not a zombie that
    /// waiting for any child keeps finding; Swift Testing's exit tests wait that way) nor what it
    /// started (here `cat`, which holds the socket by which Foundation notices the exit).
    @Test func aStoppedWorkerAndItsHelpersAreGone() throws {
        for script in [#"cat "$1"; cat >/dev/null"#, #"cat "$1"; sleep 60"#] {
            var pid: Int32 = 0
            do {
                let client = try WorkerClient(try launch(script, requestTimeout: 0.5))
                pid = client.processIdentifier
                #expect(error { _ = try client.request("forward") } == .timedOut(request: "request 1 (forward)", seconds: 0.5))
            }
            // Not a zombie: waitpid finds no such child.
            var status: Int32 = 0
            #expect(waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD, "\(script): pid \(pid) is still a child")
            // Its group (the worker leads one) empties once init has reaped the killed helpers.
            let deadline = Date().addingTimeInterval(5)
            while kill(-pid, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(kill(-pid, 0) == -1 && errno == ESRCH, "\(script): process group \(pid) still has members")
        }
    }

    @Test func aWorkerThatDiesMidRequestNamesTheRequest() throws {
        let client = try WorkerClient(try launch(#"cat "$1"; head -c 4 >/dev/null; echo 'Killed' >&2; exit 137"#))
        let e = error { _ = try client.request("last_token_loss_grad") }
        #expect(e == .exited(request: "request 1 (last_token_loss_grad)", status: 137, stderrTail: "Killed"))
    }

    @Test func garbageOnStdoutIsAMalformedFrame() throws {
        let client = try WorkerClient(try launch(#"cat "$1"; head -c 4 >/dev/null; printf 'Loading...\n'; cat >/dev/null"#))
        let e = error { _ = try client.request("load") }
        guard case .malformedFrame(let request, _)? = e else {
            Issue.record("expected a malformed frame, got \(String(describing: e))")
            return
        }
        #expect(request == "request 1 (load)")
    }

    @Test func aResponseWithAnotherIdIsAMalformedFrame() throws {
        let client = try WorkerClient(try launch(
            #"cat "$1"; cat >/dev/null"#, frames: [Self.ready, WorkerFrame(header: ["id": 5, "ok": true])]))
        let e = error { _ = try client.request("info") }
        #expect(e == .malformedFrame(request: "request 1 (info)", problem: "the response has id Optional(5)"))
    }

    @Test func okFalseBecomesTheWorkersErrorKindAndMessage() throws {
        let failure = WorkerFrame(header: ["id": 1, "ok": false, "error": ["kind": "model_not_found", "message": "request 1 (load): meta-llama/Llama-3.1-8B is not in the Hugging Face cache"]])
        let client = try WorkerClient(try launch(#"cat "$1"; cat >/dev/null"#, frames: [Self.ready, failure]))
        let e = error { _ = try client.request("load", fields: ["model": "meta-llama/Llama-3.1-8B"]) }
        #expect(e == .failed(request: "request 1 (load)", kind: "model_not_found",
                             message: "request 1 (load): meta-llama/Llama-3.1-8B is not in the Hugging Face cache"))
    }

    @Test func aResponseIsReturnedWithItsPayloads() throws {
        let answer = WorkerFrame(header: ["id": 1, "ok": true, "loss": 0.25], payloads: [WorkerPayload(name: "loss", shape: [1], floats: [0.25])])
        let client = try WorkerClient(try launch(#"cat "$1"; cat >/dev/null"#, frames: [Self.ready, answer]))
        #expect(client.readyHeader["protocol"] as? Int == 1)
        let response = try client.request("last_token_loss_grad")
        #expect(response.header["loss"] as? Double == 0.25)
        #expect(response.payload("loss")?.floats == [0.25])
    }
}
