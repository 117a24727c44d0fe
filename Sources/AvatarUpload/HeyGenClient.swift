import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PreflightKit

/// An asset as HeyGen's upload API returns it.
public struct UploadedAsset: Sendable, Equatable {
    public var id: String?
    public var url: String?
    public var imageKey: String
}

/// A failed request: the server's own message when it gave one. Never holds the API key.
public struct UploadError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// HTTP status, when a response came.
    public var status: Int?
    /// Worth trying again: connection errors, timeouts, 429 and 5xx.
    public var retryable: Bool
    /// Seconds the server asked to wait (Retry-After).
    public var retryAfter: Double?
    public var description: String { message }
    /// No answer came (a timeout or a dropped connection): the service may have received the
    /// request all the same.
    public var bodyMayHaveArrived: Bool { status == nil && retryable }

    public init(message: String, status: Int?, retryable: Bool, retryAfter: Double? = nil) {
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retryAfter = retryAfter
    }
}

/// A wait before a retry, for the caller to tell the user about (the client itself never prints).
public struct RetryNotice: Sendable {
    /// What failed: "HTTP 429", "no response within 60 s", …
    public var reason: String
    /// Seconds until the next attempt.
    public var wait: Double
    /// The server's Retry-After, when it sent one.
    public var retryAfter: Double?
    /// The longest Retry-After the client honours.
    public var cap: Double
    /// The attempt about to be made (2 = the first retry).
    public var attempt: Int
}

/// HeyGen's asset upload and photo-avatar API, with retries (exponential backoff with jitter,
/// honouring Retry-After) on connection errors, timeouts, 429 and 5xx, and a per-request timeout.
///
/// Redirects are refused: a 3xx answer is an error naming the status and the host it pointed to,
/// so the API key goes to the configured hosts only, and an upload counts as done only when its
/// whole body reached the configured host and that host answered with an image_key. Each attempt
/// runs in a session of its own: after a dropped connection, a retry must not wait on a pooled
/// connection that is already dead (swift-corelibs-foundation then waited for the whole timeout).
public struct HeyGenClient: Sendable {
    public static let defaultUploadEndpoint = "https://upload.heygen.com"
    public static let defaultAPIEndpoint = "https://api.heygen.com"
    /// The largest asset HeyGen's upload takes (32 MB, its newer asset API's documented limit);
    /// a larger file is refused before it is read into memory.
    public static let maxAssetBytes = 32 << 20
    /// The longest Retry-After honoured by default, in seconds; a longer one is waited for this long.
    public static let defaultRetryAfterCap = 120.0
    /// Response bodies larger than this are cut off and treated as an error (the API's answers are
    /// small JSON documents; a hostile server must not fill memory).
    public static let maxResponseBytes = 1 << 20

    public var uploadEndpoint: String
    public var apiEndpoint: String
    private let apiKey: String
    public var timeout: Double
    /// Attempts after the first.
    public var retries: Int
    /// First backoff delay in seconds (doubled per attempt, capped at 30 s, full jitter).
    public var backoff: Double
    /// The longest Retry-After honoured, in seconds.
    public var retryAfterCap = defaultRetryAfterCap
    /// Called before each wait for a retry.
    public var onRetry: @Sendable (RetryNotice) -> Void = { _ in }

    public init(apiKey: String, uploadEndpoint: String = defaultUploadEndpoint, apiEndpoint: String = defaultAPIEndpoint,
                timeout: Double = 60, retries: Int = 4, backoff: Double = 1) {
        self.apiKey = apiKey
        self.uploadEndpoint = uploadEndpoint.hasSuffix("/") ? String(uploadEndpoint.dropLast()) : uploadEndpoint
        self.apiEndpoint = apiEndpoint.hasSuffix("/") ? String(apiEndpoint.dropLast()) : apiEndpoint
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
    }

    /// `POST {upload}/v1/asset` with the raw bytes; success is `code == 100` and an image_key.
    public func uploadAsset(_ bytes: [UInt8], contentType: String) async throws(UploadError) -> UploadedAsset {
        let json = try await send("POST", uploadEndpoint + "/v1/asset", body: bytes, contentType: contentType)
        guard case .object(let top) = json else { throw invalid("the upload response is not a JSON object") }
        if case .integer(let code)? = top["code"], code != 100 {
            throw UploadError(message: "the upload was refused (code \(code)): \(Self.serverMessage(top) ?? "no message")",
                              status: 200, retryable: false)
        }
        guard case .object(let data)? = top["data"], case .string(let key)? = data["image_key"], !key.isEmpty else {
            throw invalid("the upload response has no data.image_key")
        }
        func text(_ k: String) -> String? { if case .string(let s)? = data[k] { s } else { nil } }
        return UploadedAsset(id: text("id"), url: text("url"), imageKey: key)
    }

    /// `POST {api}/v2/photo_avatar/avatar_group/create`; returns the avatar id and status.
    public func createAvatarGroup(imageKey: String, name: String) async throws(UploadError) -> (id: String, status: String) {
        let body: JSONValue = ["image_key": .string(imageKey), "name": .string(name)]
        let json = try await send("POST", apiEndpoint + "/v2/photo_avatar/avatar_group/create",
                                  body: Array(body.pretty().utf8), contentType: "application/json")
        guard case .object(let top) = json, case .object(let data)? = top["data"], case .string(let id)? = data["id"] else {
            throw invalid("the avatar response has no data.id")
        }
        if case .string(let status)? = data["status"] { return (id, status) }
        return (id, "pending")
    }

    /// `GET {api}/v2/photo_avatar/{id}`: the avatar's status.
    public func avatarStatus(id: String) async throws(UploadError) -> String {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
        let json = try await send("GET", apiEndpoint + "/v2/photo_avatar/" + escaped, body: nil, contentType: nil)
        guard case .object(let top) = json, case .object(let data)? = top["data"], case .string(let status)? = data["status"] else {
            throw invalid("the avatar status response has no data.status")
        }
        return status
    }

    private func invalid(_ message: String) -> UploadError {
        UploadError(message: message, status: 200, retryable: false)
    }

    /// One request with retries; returns the parsed JSON body of a 2xx response.
    func send(_ method: String, _ url: String, body: [UInt8]?, contentType: String?) async throws(UploadError) -> JSONValue {
        var attempt = 0
        while true {
            do {
                return try await once(method, url, body: body, contentType: contentType)
            } catch {
                guard error.retryable, attempt < retries else { throw error }
                let exponential = min(30, backoff * pow(2, Double(attempt)))
                let wait = max(error.retryAfter.map { min($0, retryAfterCap) } ?? 0, Double.random(in: 0...exponential))
                attempt += 1
                onRetry(RetryNotice(reason: error.message, wait: wait, retryAfter: error.retryAfter, cap: retryAfterCap, attempt: attempt + 1))
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            }
        }
    }

    private func once(_ method: String, _ url: String, body: [UInt8]?, contentType: String?) async throws(UploadError) -> JSONValue {
        guard let u = URL(string: url), let hostName = u.host else {
            throw UploadError(message: "not a URL: \(url)", status: nil, retryable: false)
        }
        let host = hostName + (u.port.map { ":\($0)" } ?? "")
        var request = URLRequest(url: u, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue(apiKey, forHTTPHeaderField: "X-Api-Key")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let body { request.httpBody = Data(body) }
        let outcome = await Transfer.run(request, timeout: timeout, maxResponseBytes: Self.maxResponseBytes)
        if let error = outcome.error {
            let what: String
            if let e = error as? URLError {
                what = e.code == .timedOut ? "no response within \(Int(timeout)) s"
                    : "connection failed (\(e.code.rawValue): \(e.localizedDescription))"
            } else {
                what = "request failed: \(error)"
            }
            throw UploadError(message: redact(what), status: nil, retryable: true)
        }
        if outcome.truncated {
            throw UploadError(message: "the server's answer is larger than \(Self.maxResponseBytes) bytes; it is not the API's",
                              status: outcome.response?.statusCode, retryable: false)
        }
        guard let http = outcome.response else {
            throw UploadError(message: "not an HTTP response", status: nil, retryable: true)
        }
        let status = http.statusCode
        if (300..<400).contains(status) {
            // Never followed: the key would go to whatever host the Location names.
            let target = http.value(forHTTPHeaderField: "Location").flatMap { URL(string: $0, relativeTo: u) }
                .flatMap { l in l.host.map { $0 + (l.port.map { ":\($0)" } ?? "") } } ?? "no stated place"
            throw UploadError(message: redact("HTTP \(status): the server redirected the request to \(target); redirects are refused, "
                                              + "so the API key is sent to \(host) only (check --endpoint / --api-endpoint)"),
                              status: status, retryable: false)
        }
        if let body, outcome.bytesSent < Int64(body.count) {
            throw UploadError(message: "the server answered HTTP \(status) after \(outcome.bytesSent) of \(body.count) bytes of the "
                              + "request were sent; the upload is not counted as done", status: status, retryable: true)
        }
        let data = outcome.data
        let json = try? JSONValue.parse([UInt8](data))
        if (200..<300).contains(status) {
            guard let json else {
                throw UploadError(message: "the server answered \(status) with a body that is not JSON", status: status, retryable: false)
            }
            return json
        }
        var message = "HTTP \(status)"
        if case .object(let top)? = json, let m = Self.serverMessage(top) {
            message += ": " + m
        } else if !data.isEmpty {
            message += ": " + String(decoding: data.prefix(200), as: UTF8.self)
        }
        if status == 401 || status == 403 { message += " (check the API key)" }
        let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        throw UploadError(message: redact(message), status: status, retryable: status == 429 || status >= 500, retryAfter: retryAfter)
    }

    /// The server's error text: `message`, `msg`, or `error` as a string or an object with a message.
    static func serverMessage(_ top: [String: JSONValue]) -> String? {
        if case .string(let s)? = top["message"], !s.isEmpty { return s }
        if case .string(let s)? = top["msg"], !s.isEmpty { return s }
        if case .string(let s)? = top["error"], !s.isEmpty { return s }
        if case .object(let e)? = top["error"] {
            if case .string(let s)? = e["message"] { return s }
            if case .string(let s)? = e["code"] { return s }
        }
        return nil
    }

    /// Any text that would reach the user, with the key cut out should a server echo it.
    /// However short the key: a message garbled by a one-letter key is better than a leaked one.
    func redact(_ text: String) -> String {
        apiKey.isEmpty ? text : text.replacingOccurrences(of: apiKey, with: "[API key]")
    }
}

/// One request in a session of its own, driven by delegate callbacks: they refuse redirects, count
/// the body bytes sent (corelibs Foundation reports `countOfBytesSent` only to delegate-driven
/// tasks) and cap the response body.
final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: the mutable fields are touched only on the session's serial delegate queue, and
    // read after `didCompleteWithError` (the last callback) has resumed the continuation.
    struct Outcome {
        var response: HTTPURLResponse?
        var data = Data()
        var truncated = false
        var bytesSent: Int64 = 0
        var error: Error?
    }

    private var outcome = Outcome()
    private let limit: Int
    private var continuation: CheckedContinuation<Outcome, Never>?

    private init(limit: Int) { self.limit = limit }

    static func run(_ request: URLRequest, timeout: Double, maxResponseBytes: Int) async -> Outcome {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let transfer = Transfer(limit: maxResponseBytes)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        return await withCheckedContinuation { continuation in
            queue.addOperation {
                transfer.continuation = continuation
                session.dataTask(with: request).resume()
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64,
                    totalBytesExpectedToSend: Int64) {
        outcome.bytesSent = totalBytesSent
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if outcome.data.count + data.count > limit {
            outcome.truncated = true
            dataTask.cancel()
            return
        }
        outcome.data.append(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        outcome.response = task.response as? HTTPURLResponse
        outcome.bytesSent = max(outcome.bytesSent, task.countOfBytesSent)
        if !outcome.truncated { outcome.error = error }
        continuation?.resume(returning: outcome)
        continuation = nil
    }
}
