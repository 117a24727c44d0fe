import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PreflightKit

/// A small HTTP/1.1 server on 127.0.0.1 that behaves as HeyGen's documented upload and
/// photo-avatar API does. The API key picks the behaviour, so each test runs the real binary
/// against one scenario:
///   key-ok          success
///   key-429         first attempt per photo: 429 with Retry-After: 1, then success
///   key-500         first attempt per photo: 500, then success
///   key-drop        first attempt per photo: the connection is closed without a response
///   key-hang        no response ever (the client must time out)
///   key-hang-after-2  the first two photos succeed, later ones never get a response
///   key-400 / key-413  an error status with a JSON error body
///   key-malformed   200 with a body that is not JSON
///   key-301 / key-302 / key-307  a redirect to `redirectTarget` (another host), as a hostile or
///                   misconfigured proxy would answer
///   key-early       200 with an image_key as soon as the headers are in, the body left unread
///   key-429-long    first attempt per photo: 429 with Retry-After: 3600
///   anything else   401 {"code": 401, "message": "Invalid API key: <the key>"} (echoed, as
///                   some services do, so redaction is tested)
/// Uploads are counted per content (SHA-256) when a success response has been sent.
final class FakeHeyGen: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var _completed: [String: Int] = [:]
    private var _attempts: [String: Int] = [:]
    private var _requests: [String] = []
    private var _keysSeen: [String] = []
    private var avatarPolls: [String: Int] = [:]
    private var stopped = false
    /// Where key-301/302/307 point.
    var redirectTarget = "http://127.0.0.1:9/v1/asset"

    var url: String { "http://127.0.0.1:\(port)" }
    /// Completed uploads per content SHA-256.
    var completed: [String: Int] { lock.withLock { _completed } }
    /// Requests as "METHOD PATH".
    var requests: [String] { lock.withLock { _requests } }
    var keysSeen: [String] { lock.withLock { _keysSeen } }

    /// `smallReceiveBuffer` keeps the kernel from taking a large body into its buffers unread, so
    /// a client cannot have sent it all before an early answer.
    init(smallReceiveBuffer: Bool = false) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if smallReceiveBuffer {
            var size: Int32 = 8192
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            let thread = Thread { [self] in handle(fd) }
            thread.start()
        }
    }

    private func handle(_ fd: Int32) {
        defer { close(fd) }
        while let request = readRequest(fd) {
            if !respond(fd, request) { return }
        }
    }

    struct Request {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
    }

    private func readRequest(_ fd: Int32) -> Request? {
        readRequest(fd, bodyToo: true)
    }

    private func readRequest(_ fd: Int32, bodyToo: Bool) -> Request? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return nil }
            data += chunk[0..<n]
            if data.count >= 4 {
                for i in max(0, data.count - n - 3)..<(data.count - 3)
                where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
                    headerEnd = i
                    break
                }
            }
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = head[0].split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(headerEnd! + 4)...])
        let length = Int(headers["content-length"] ?? "0") ?? 0
        if headers["x-api-key"] == "key-early" && parts[0] == "POST" {
            return Request(method: String(parts[0]), path: String(parts[1]), headers: headers, body: [])
        }
        while body.count < length {
            let n = read(fd, &chunk, min(chunk.count, length - body.count))
            if n <= 0 { return nil }
            body += chunk[0..<n]
        }
        return Request(method: String(parts[0]), path: String(parts[1]), headers: headers, body: body)
    }

    /// Writes the response; false when the connection must be dropped.
    private func respond(_ fd: Int32, _ r: Request) -> Bool {
        let key = r.headers["x-api-key"] ?? ""
        lock.withLock {
            _requests.append("\(r.method) \(r.path)")
            _keysSeen.append(key)
        }
        guard key.hasPrefix("key-") && ["key-ok", "key-429", "key-500", "key-drop", "key-hang", "key-hang-after-2", "key-400",
                                        "key-413", "key-malformed", "key-301", "key-302", "key-307", "key-early",
                                        "key-429-long"].contains(key) else {
            return send(fd, 401, #"{"code": 401, "message": "Invalid API key: \#(key)"}"#)
        }
        if r.method == "POST" && r.path == "/v1/asset" { return upload(fd, r, key: key) }
        if r.method == "POST" && r.path == "/v2/photo_avatar/avatar_group/create" {
            guard case .object(let o)? = try? JSONValue.parse(r.body), case .string(let imageKey)? = o["image_key"] else {
                return send(fd, 400, #"{"error": {"code": "invalid_parameter", "message": "image_key is required"}}"#)
            }
            let id = "avatar-" + imageKey.split(separator: "/").dropFirst().first.map(String.init)!
            return send(fd, 200, #"{"error": null, "data": {"id": "\#(id)", "group_id": "group-1", "status": "pending"}}"#)
        }
        if r.method == "GET" && r.path.hasPrefix("/v2/photo_avatar/avatar-") {
            let id = String(r.path.dropFirst("/v2/photo_avatar/".count))
            let polls = lock.withLock { () -> Int in
                avatarPolls[id, default: 0] += 1
                return avatarPolls[id]!
            }
            let status = polls >= 2 ? "completed" : "pending"
            return send(fd, 200, #"{"error": null, "data": {"id": "\#(id)", "status": "\#(status)"}}"#)
        }
        return send(fd, 404, #"{"code": 404, "message": "no such endpoint"}"#)
    }

    private func upload(_ fd: Int32, _ r: Request, key: String) -> Bool {
        if key == "key-early" {
            // Answers before reading the body, then closes (the body is never read).
            _ = send(fd, 200, #"{"code": 100, "data": {"id": "asset-early", "image_key": "image/early/original.jpg"}}"#)
            return false
        }
        let sha = SHA256.hex(r.body)
        let type = r.headers["content-type"] ?? ""
        let isJPEG = r.body.starts(with: [0xFF, 0xD8]), isPNG = r.body.starts(with: [0x89, 0x50, 0x4E, 0x47])
        guard (type == "image/jpeg" && isJPEG) || (type == "image/png" && isPNG) else {
            return send(fd, 400, #"{"code": 400, "message": "Content-Type does not match the file"}"#)
        }
        let (attempt, distinct) = lock.withLock { () -> (Int, Int) in
            _attempts[sha, default: 0] += 1
            return (_attempts[sha]!, _attempts.count)
        }
        switch key {
        case "key-301", "key-302", "key-307":
            return send(fd, Int(key.dropFirst(4))!, "", extra: "Location: \(redirectTarget)\r\n")
        case "key-429-long" where attempt == 1:
            return send(fd, 429, #"{"code": 429, "message": "Too many requests"}"#, extra: "Retry-After: 3600\r\n")
        case "key-429" where attempt == 1:
            return send(fd, 429, #"{"code": 429, "message": "Too many requests"}"#, extra: "Retry-After: 1\r\n")
        case "key-500" where attempt == 1:
            return send(fd, 500, #"{"code": 500, "message": "Internal error"}"#)
        case "key-drop" where attempt == 1:
            return false
        case "key-hang":
            sleep(30)
            return false
        case "key-hang-after-2" where distinct > 2:
            sleep(30)
            return false
        case "key-400":
            return send(fd, 400, #"{"code": 400, "error": {"code": "invalid_image", "message": "The image could not be processed"}}"#)
        case "key-413":
            return send(fd, 413, #"{"code": 413, "message": "File too large"}"#)
        case "key-malformed":
            return send(fd, 200, #"{"code": 100, "data": {"image_key": "#)
        default:
            let short = String(sha.prefix(12))
            // Counted before the answer goes out: the client may read it, exit, and the test look
            // at the count before this thread runs again. Taken back if the answer cannot be sent.
            lock.withLock { _completed[sha, default: 0] += 1 }
            let ok = send(fd, 200, #"{"code": 100, "data": {"id": "asset-\#(short)", "name": "photo", "file_type": "image", "#
                          + #""url": "https://files.example/\#(short).jpg", "image_key": "image/\#(short)/original.jpg"}}"#)
            if !ok {
                lock.withLock {
                    _completed[sha, default: 1] -= 1
                    if _completed[sha] == 0 { _completed[sha] = nil }
                }
            }
            return ok
        }
    }

    private func send(_ fd: Int32, _ status: Int, _ body: String, extra: String = "") -> Bool {
        let reason = [200: "OK", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large",
                      429: "Too Many Requests", 500: "Internal Server Error"][status] ?? "Status"
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\(extra)\r\n"
        let all = Array(head.utf8) + bytes
        var done = 0
        while done < all.count {
            let n = all[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
