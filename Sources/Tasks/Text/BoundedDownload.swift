import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A blocking HTTP(S) download that stops as soon as the body outgrows a byte limit, so a
/// misbehaving server cannot make the harness buffer gigabytes. `file://` URLs, which
/// URLSession on Linux does not serve, are read directly under the same limit.
public enum BoundedDownload {
    /// - Throws: `TaskError.downloadFailed` (network error, HTTP status other than 200, body
    ///   over `byteLimit`); for `file://`, `TaskFileReader.readBytes`'s errors.
    public static func fetch(_ url: URL, byteLimit: Int) throws -> Data {
        if url.isFileURL { return try TaskFileReader.readBytes(url, limit: byteLimit) }
        let receiver = Receiver(url: url, byteLimit: byteLimit)
        let session = URLSession(configuration: .ephemeral, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: url).resume()
        receiver.done.wait()
        if let failure = receiver.failure { throw failure }
        return receiver.body
    }

    /// Collects the body on URLSession's delegate queue; `fetch` reads it only after `done`.
    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let url: URL
        let byteLimit: Int
        let done = DispatchSemaphore(value: 0)
        var body = Data()
        var failure: TaskError?

        init(url: URL, byteLimit: Int) {
            self.url = url
            self.byteLimit = byteLimit
        }

        private func fail(_ reason: String) {
            if failure == nil { failure = .downloadFailed(url: url.absoluteString, reason: reason) }
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
        ) {
            if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                fail("HTTP \(http.statusCode)")
                completionHandler(.cancel)
            } else if response.expectedContentLength > Int64(byteLimit) {
                fail("the server announces \(response.expectedContentLength) bytes, more than the \(byteLimit)-byte limit")
                completionHandler(.cancel)
            } else {
                completionHandler(.allow)
            }
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil else { return }
            if body.count + data.count > byteLimit {
                fail("the body exceeds the \(byteLimit)-byte limit")
                dataTask.cancel()
            } else {
                body.append(data)
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if let error { fail(error.localizedDescription) }
            done.signal()
        }
    }
}
