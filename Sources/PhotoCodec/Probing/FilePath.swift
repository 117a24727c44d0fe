/// A file-system path as the kernel knows it: bytes, not necessarily UTF-8 (a Linux file name may
/// hold any byte but NUL and `/`). Files are opened by these bytes; people see `display`.
///
/// A Swift `String` cannot hold `caf\xE9.jpg` (a Latin-1 name): decoding repairs the byte to
/// U+FFFD and the file can no longer be opened. So paths travel as bytes from `argv` and `readdir`
/// to `open`, and are repaired only for display.
public struct FilePath: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path's bytes, without a terminating NUL.
    public let bytes: [UInt8]

    /// The bytes of `string`, cut at a NUL should it hold one (the kernel would stop there).
    public init(_ string: String) {
        bytes = Array(string.utf8.prefix { $0 != 0 })
    }

    public init<S: Sequence<UInt8>>(bytes source: S) {
        bytes = Array(source.prefix { $0 != 0 })
    }

    /// The bytes of a NUL-terminated C string.
    public init(cString: UnsafePointer<CChar>) {
        var out: [UInt8] = []
        var p = cString
        while p.pointee != 0 {
            out.append(UInt8(bitPattern: p.pointee))
            p += 1
        }
        bytes = out
    }

    public init(stringLiteral value: String) { self.init(value) }

    public static func < (a: FilePath, b: FilePath) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Calls `body` with the path as a NUL-terminated C string.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var terminated = bytes.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// `self/component` (no separator is added after a trailing `/`).
    public func appending(_ component: FilePath) -> FilePath {
        if bytes.isEmpty { return component }
        return FilePath(bytes: bytes.last == 0x2F ? bytes + component.bytes : bytes + [0x2F] + component.bytes)
    }

    public func appending(_ component: String) -> FilePath { appending(FilePath(component)) }

    /// The path with one trailing `/` removed (not from `/` itself).
    public var withoutTrailingSlash: FilePath {
        bytes.count > 1 && bytes.last == 0x2F ? FilePath(bytes: bytes.dropLast()) : self
    }

    /// The folder part: everything before the last `/` ("." when there is none, "/" for a root entry).
    public var parent: FilePath {
        let trimmed = withoutTrailingSlash.bytes
        guard let slash = trimmed.lastIndex(of: 0x2F) else { return "." }
        return slash == 0 ? "/" : FilePath(bytes: trimmed[..<slash])
    }

    /// The last component (the whole path when it has no `/`).
    public var lastComponent: FilePath {
        let trimmed = withoutTrailingSlash.bytes
        guard let slash = trimmed.lastIndex(of: 0x2F) else { return self }
        return FilePath(bytes: trimmed[(slash + 1)...])
    }

    /// The components between slashes, empty ones left out.
    public var components: [FilePath] {
        bytes.split(separator: 0x2F).map { FilePath(bytes: $0) }
    }

    public var isAbsolute: Bool { bytes.first == 0x2F }

    /// The path with the last component's extension (after its last dot, if any) replaced by `ext`.
    public func replacingExtension(with ext: String) -> FilePath {
        let slash = bytes.lastIndex(of: 0x2F).map { $0 + 1 } ?? 0
        var stem = bytes
        if let dot = bytes[slash...].lastIndex(of: 0x2E), dot > slash { stem = Array(bytes[..<dot]) }
        return FilePath(bytes: stem + [0x2E] + Array(ext.utf8))
    }

    /// The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD: for matching extensions
    /// and other places where a repaired name is harmless. Never open this.
    public var lossyString: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { display }

    /// The path for people and reports: UTF-8 as it is, but every byte that is not valid UTF-8
    /// shown as `\xHH`, and control characters (a newline in a name could otherwise forge a line
    /// of a text report) as `\n`, `\r`, `\t`, `\xHH` or `\u{HHHH}`.
    public var display: String {
        if isPlainText { return String(decoding: bytes, as: UTF8.self) }
        var out = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                offset += encoded.count
                out += Self.escaped(scalar)
            case .error(let length):
                for b in bytes[offset..<(offset + length)] { out += "\\x" + Self.hex(b) }
                offset += length
            case .emptyInput:
                return out
            }
        }
    }

    /// True when the bytes are valid UTF-8 without control characters: `display` is the path itself.
    public var isPlainText: Bool {
        // Fast path: printable ASCII.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return true }
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        return !text.unicodeScalars.contains { Self.needsEscape($0) }
    }

    /// The bytes in base64 (for JSON, when `display` is not the path itself).
    public var base64: String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = Int(bytes[i]), b1 = n > 1 ? Int(bytes[i + 1]) : 0, b2 = n > 2 ? Int(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[v >> 18 & 63])
            out.append(alphabet[v >> 12 & 63])
            out.append(n > 1 ? alphabet[v >> 6 & 63] : 0x3D)
            out.append(n > 2 ? alphabet[v & 63] : 0x3D)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }

    static func escaped(_ s: Unicode.Scalar) -> String {
        guard needsEscape(s) else { return String(Character(s)) }
        switch s.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case ..<0x80: return "\\x" + hex(UInt8(s.value))
        default: return "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
        }
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}

/// Text for people from text that may hold control characters (a file name inside a message):
/// the same escaping as `FilePath.display`.
public func printable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: FilePath.needsEscape) else { return text }
    return text.unicodeScalars.map(FilePath.escaped).joined()
}
