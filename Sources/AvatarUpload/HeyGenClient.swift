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

    public init(message: String, status: Int?, retryable: Bool, retryAfter: Double? = nil) {
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retryAfter = retryAfter
    }
}

/// HeyGen's asset upload and photo-avatar API, with retries (exponential backoff with jitter,
/// honouring Retry-After) on connection errors, timeouts, 429 and 5xx, and a per-request timeout.
public struct HeyGenClient: Sendable {
    public static let defaultUploadEndpoint = "https://upload.heygen.com"
    public static let defaultAPIEndpoint = "https://api.heygen.com"

    public var uploadEndpoint: String
    public var apiEndpoint: String
    private let apiKey: String
    public var timeout: Double
    /// Attempts after the first.
    public var retries: Int
    /// First backoff delay in seconds (doubled per attempt, capped at 30 s, full jitter).
    public var backoff: Double
    private let session: URLSession

    public init(apiKey: String, uploadEndpoint: String = defaultUploadEndpoint, apiEndpoint: String = defaultAPIEndpoint,
                timeout: Double = 60, retries: Int = 4, backoff: Double = 1) {
        self.apiKey = apiKey
        self.uploadEndpoint = uploadEndpoint.hasSuffix("/") ? String(uploadEndpoint.dropLast()) : uploadEndpoint
        self.apiEndpoint = apiEndpoint.hasSuffix("/") ? String(apiEndpoint.dropLast()) : apiEndpoint
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
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
                let wait = max(error.retryAfter.map { min($0, 120) } ?? 0, Double.random(in: 0...exponential))
                attempt += 1
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            }
        }
    }

    private func once(_ method: String, _ url: String, body: [UInt8]?, contentType: String?) async throws(UploadError) -> JSONValue {
        guard let u = URL(string: url) else { throw UploadError(message: "not a URL: \(url)", status: nil, retryable: false) }
        var request = URLRequest(url: u, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue(apiKey, forHTTPHeaderField: "X-Api-Key")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let body { request.httpBody = Data(body) }
        let result: (Data, URLResponse)
        do {
            result = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Data, URLResponse), Error>) in
                session.dataTask(with: request) { data, response, error in
                    if let error { c.resume(throwing: error) }
                    else if let response { c.resume(returning: (data ?? Data(), response)) }
                    else { c.resume(throwing: URLError(.badServerResponse)) }
                }.resume()
            }
        } catch let e as URLError {
            let what = e.code == .timedOut ? "no response within \(Int(timeout)) s" : "connection failed (\(e.code.rawValue): \(e.localizedDescription))"
            throw UploadError(message: redact(what), status: nil, retryable: true)
        } catch {
            throw UploadError(message: redact("request failed: \(error)"), status: nil, retryable: true)
        }
        let (data, response) = result
        guard let http = response as? HTTPURLResponse else {
            throw UploadError(message: "not an HTTP response", status: nil, retryable: true)
        }
        let status = http.statusCode
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
    func redact(_ text: String) -> String {
        apiKey.count >= 4 ? text.replacingOccurrences(of: apiKey, with: "[API key]") : text
    }
}
