/// A minimal XML reader for OpenCV's cascade files: elements, text, comments, the declaration.
/// No DTDs, no namespaces, no entities beyond the five predefined ones (the files use none).
/// It exists so that loading a cascade needs neither Foundation nor libxml2.
struct XMLElement {
    var name: String
    var children: [XMLElement] = []
    var text: String = ""

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// The child's trimmed text.
    func value(_ name: String) -> String? { child(name).map { $0.text.trimmed } }
}

struct XMLSyntaxError: Error, CustomStringConvertible {
    var offset: Int
    var message: String
    var description: String { "XML error at byte \(offset): \(message)" }
}

extension String {
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

struct XMLReader {
    private let bytes: [UInt8]
    private var i = 0
    private static let maxDepth = 64

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        var reader = XMLReader(bytes)
        return try reader.document()
    }

    private func fail(_ message: String) -> XMLSyntaxError { XMLSyntaxError(offset: i, message: message) }

    private func starts(with s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        let p = s.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    private mutating func skip(past s: StaticString) throws(XMLSyntaxError) {
        while i < bytes.count {
            if starts(with: s) { i += s.utf8CodeUnitCount; return }
            i += 1
        }
        throw fail("unterminated markup (expected \(s))")
    }

    /// Skips whitespace, comments, processing instructions and doctype before the root element.
    private mutating func skipMisc() throws(XMLSyntaxError) {
        while i < bytes.count {
            if bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
            else if starts(with: "<!--") { try skip(past: "-->") }
            else if starts(with: "<?") { try skip(past: "?>") }
            else if starts(with: "<!") { try skip(past: ">") }
            else { return }
        }
    }

    mutating func document() throws(XMLSyntaxError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        try skipMisc()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "<") else { throw fail("no root element") }
        return try element(depth: 0)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        !(b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == UInt8(ascii: ">") || b == UInt8(ascii: "/")
          || b == UInt8(ascii: "="))
    }

    private mutating func element(depth: Int) throws(XMLSyntaxError) -> XMLElement {
        guard depth < Self.maxDepth else { throw fail("elements nested too deeply") }
        i += 1  // "<"
        let start = i
        while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
        guard i > start else { throw fail("an element without a name") }
        var element = XMLElement(name: String(decoding: bytes[start..<i], as: UTF8.self))
        // Attributes are skipped (quoted values may contain '>').
        while i < bytes.count, bytes[i] != UInt8(ascii: ">") {
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let quote = bytes[i]
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
            }
            i += 1
        }
        guard i < bytes.count else { throw fail("unterminated start tag <\(element.name)>") }
        if bytes[i - 1] == UInt8(ascii: "/") { i += 1; return element }
        i += 1
        var text: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("<\(element.name)> is not closed") }
            if bytes[i] != UInt8(ascii: "<") {
                text.append(bytes[i])
                i += 1
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<![CDATA[") {
                i += 9
                while i < bytes.count, !starts(with: "]]>") { text.append(bytes[i]); i += 1 }
                i += 3
            } else if starts(with: "</") {
                i += 2
                let s = i
                while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
                let name = String(decoding: bytes[s..<i], as: UTF8.self)
                guard name == element.name else { throw fail("</\(name)> closes <\(element.name)>") }
                while i < bytes.count, bytes[i] != UInt8(ascii: ">") { i += 1 }
                i += 1
                element.text = Self.unescape(text)
                return element
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else {
                element.children.append(try self.element(depth: depth + 1))
            }
        }
    }

    private static func unescape(_ bytes: [UInt8]) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        guard bytes.contains(UInt8(ascii: "&")) else { return s }
        return s.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
            .replacing("&apos;", with: "'").replacing("&amp;", with: "&")
    }
}
