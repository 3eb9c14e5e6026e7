import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnvifEvents
import ProcessSupport

/// Why an HTTP exchange with the camera gave no usable answer. Each case reads as the end of
/// a log line that refuses the response.
enum HTTPFailure: Error, CustomStringConvertible {
    case tooLarge(limit: Int, announced: Int?)
    case timedOut(seconds: Double, received: Int)
    case transport(String)
    case status(Int, String)

    var description: String {
        switch self {
        case let .tooLarge(limit, announced?):
            "response of \(announced) bytes refused unread: over the \(limit)-byte limit (max_response_bytes)"
        case let .tooLarge(limit, nil):
            "response refused after \(limit) bytes: over the limit (max_response_bytes)"
        case let .timedOut(seconds, received):
            "no complete response within \(Self.format(seconds)) s (\(received) bytes received); abandoned"
        case let .transport(why): "HTTP request failed: \(why)"
        case let .status(code, why): "HTTP \(code)\(why.isEmpty ? "" : ": \(why)")"
        }
    }

    private static func format(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}

/// SOAP over HTTP with URLSession, bounded in bytes and time: the camera network is not
/// trusted, so a response bigger than `maxBytes` is cancelled as soon as that shows (from its
/// Content-Length, or while it streams) and one that does not complete by its deadline is
/// cancelled however slowly it trickles.
struct SOAPClient: Sendable {
    let maxBytes: Int

    /// POSTs `envelope` to `url`; returns the body of a 2xx response. A non-2xx answer throws
    /// the SOAP fault it carries if it has one, else `HTTPFailure.status`.
    func post(_ envelope: String, to url: URL, action: String, timeout: Double) throws -> Data {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(envelope.utf8)
        request.setValue("application/soap+xml; charset=utf-8; action=\"\(action)\"", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = timeout

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        let transfer = Transfer(maxBytes: maxBytes)
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: request)
        transfer.watch(task, deadline: timeout)
        task.resume()
        let outcome = transfer.wait(timeout + 5)
        switch outcome {
        case let .failure(failure):
            throw failure
        case let .success((status, body)):
            guard (200..<300).contains(status) else {
                if let fault = OnvifResponse.faultIfAny(body) { throw fault }
                throw HTTPFailure.status(status, status == 401
                    ? "the camera wants HTTP authentication; facegate-onvif speaks WS-Security UsernameToken only"
                    : HTTPURLResponse.localizedString(forStatusCode: status))
            }
            return body
        }
    }
}

/// One request's delegate: collects the body up to the limit and records how it ended.
private final class Transfer: NSObject, URLSessionDataDelegate, Sendable {
    private struct State {
        var body = Data()
        var status = 0
        var failure: HTTPFailure?
        var finished = false
    }

    private let maxBytes: Int
    private let state = Locked(State())
    private let done = DispatchSemaphore(value: 0)

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Cancels `task` at the deadline unless it has finished.
    func watch(_ task: URLSessionDataTask, deadline seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            let cancel = state.withLock { s -> Bool in
                guard !s.finished, s.failure == nil else { return false }
                s.failure = .timedOut(seconds: seconds, received: s.body.count)
                return true
            }
            if cancel { task.cancel() }
        }
    }

    func wait(_ seconds: Double) -> Result<(Int, Data), HTTPFailure> {
        if done.wait(timeout: .now() + seconds) == .timedOut {
            return .failure(.timedOut(seconds: seconds, received: state.withLock { $0.body.count }))
        }
        return state.withLock { s in s.failure.map { .failure($0) } ?? .success((s.status, s.body)) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let announced = response.expectedContentLength
        let refuse = state.withLock { s -> Bool in
            s.status = status
            if announced > Int64(maxBytes) {
                s.failure = .tooLarge(limit: maxBytes, announced: Int(clamping: announced))
                return true
            }
            return false
        }
        completionHandler(refuse ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = state.withLock { s -> Bool in
            guard s.failure == nil else { return true }
            if s.body.count + data.count > maxBytes {
                s.failure = .tooLarge(limit: maxBytes, announced: nil)
                s.body = Data()
                return true
            }
            s.body.append(data)
            return false
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        state.withLock { s in
            s.finished = true
            if s.failure == nil, let error { s.failure = .transport(error.localizedDescription) }
        }
        done.signal()
    }
}
