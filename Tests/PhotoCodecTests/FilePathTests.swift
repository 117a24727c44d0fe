import Testing
import PhotoCodec

@Suite("file paths as bytes")
struct FilePathTests {
    @Test("display escapes bytes that are not UTF-8 and control characters, and nothing else", arguments: [
        ([0x63, 0x61, 0x66, 0xE9], "caf\\xE9"),                       // Latin-1 é
        (Array("café".utf8), "café"),                                   // UTF-8 é stays
        (Array("a\nb\tc\r".utf8), "a\\nb\\tc\\r"),
        ([0x61, 0x1B, 0x5B, 0x33, 0x31, 0x6D], "a\\x1B[31m"),          // a terminal escape
        ([0x61, 0xC2, 0x85, 0x62], "a\\u{85}b"),                        // C1 next-line
        (Array("a\u{2028}b".utf8), "a\\u{2028}b"),                      // line separator
        ([0xFF, 0xFE, 0x41], "\\xFF\\xFEA"),
        ([0xE2, 0x82], "\\xE2\\x82"),                                   // a cut-off sequence
        (Array("back\\slash".utf8), "back\\slash"),
    ] as [([UInt8], String)])
    func display(_ bytes: [UInt8], _ shown: String) {
        let path = FilePath(bytes: bytes)
        #expect(path.display == shown)
        #expect(path.isPlainText == (String(decoding: bytes, as: UTF8.self) == shown))
    }

    @Test("base64, components, parent, extension")
    func pieces() {
        #expect(FilePath(bytes: [0x63, 0x61, 0x66, 0xE9]).base64 == "Y2Fm6Q==")
        #expect(FilePath("ab").base64 == "YWI=" && FilePath("abc").base64 == "YWJj" && FilePath("").base64 == "")
        let p = FilePath(bytes: Array("d/sub/".utf8) + [0xE9] + Array(".png".utf8))
        #expect(p.parent == FilePath("d/sub") && p.lastComponent == FilePath(bytes: [0xE9] + Array(".png".utf8)))
        #expect(p.replacingExtension(with: "jpg").bytes == Array("d/sub/".utf8) + [0xE9] + Array(".jpg".utf8))
        #expect(FilePath("a.b/c").replacingExtension(with: "jpg") == FilePath("a.b/c.jpg"))
        #expect(FilePath("x.jpg").parent == FilePath(".") && FilePath("/x").parent == FilePath("/"))
        #expect(FilePath("a//b/").components == [FilePath("a"), FilePath("b")])
        #expect(FilePath("a\0b") == FilePath("a"))  // cut at a NUL, as the kernel would
    }
}
