/// Edits encoded files without re-encoding their image data: inserts metadata (to build
/// fixtures) and removes it (`fix`, when only metadata must change).
public enum ContainerEditor {
    /// The JPEG without its metadata segments — EXIF, XMP and other APP1, IPTC (APP13), the
    /// other APPn, comments — keeping JFIF (APP0), the colour profile (APP2 ICC_PROFILE) and the
    /// Adobe colour-transform marker (APP14), and every byte of the image data. nil when the
    /// markers cannot be walked.
    public static func jpegStrippingMetadata(_ jpeg: [UInt8]) -> [UInt8]? {
        guard jpeg.count > 4, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return nil }
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(jpeg.count)
        var i = 2
        while i + 4 <= jpeg.count {
            guard jpeg[i] == 0xFF else { return nil }
            let marker = jpeg[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xDA || marker == 0xD9 {
                out += jpeg[i...]
                return out
            }
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            guard length >= 2, i + 2 + length <= jpeg.count else { return nil }
            let segment = JPEGSegment(marker: marker, payload: Array(jpeg[(i + 4)..<(i + 2 + length)]))
            let metadata = (0xE0...0xEF).contains(marker) || marker == 0xFE
            if !metadata || segment.isCodecOwned || segment.isICC { out += jpeg[i..<(i + 2 + length)] }
            i += 2 + length
        }
        return nil
    }

    /// The PNG without its metadata chunks (eXIf, tEXt, zTXt, iTXt, tIME), every other chunk
    /// copied as it is. nil when the chunks cannot be walked.
    public static func pngStrippingMetadata(_ png: [UInt8]) -> [UInt8]? {
        guard png.count > 8, png[0] == 0x89, png[1] == 0x50 else { return nil }
        var out = Array(png[0..<8])
        out.reserveCapacity(png.count)
        var i = 8
        let dropped: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]
        while i + 12 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            let end = i + 12 + length
            guard length >= 0, end <= png.count else { return nil }
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            if !dropped.contains(type) { out += png[i..<end] }
            i = end
            if type == "IEND" { return out }
        }
        return nil
    }

    /// An APP1 EXIF payload ("Exif\0\0" + TIFF) with its IFD0 orientation set to 1 (upright),
    /// everything else unchanged; the payload unchanged when it has no orientation tag.
    public static func exifSettingOrientationUp(_ payload: [UInt8]) -> [UInt8] {
        var p = payload
        let t = 6
        guard p.count >= t + 8 else { return p }
        let little = p[t] == 0x49
        func u16(_ at: Int) -> Int {
            guard at + 2 <= p.count else { return -1 }
            return little ? Int(p[at]) | Int(p[at + 1]) << 8 : Int(p[at]) << 8 | Int(p[at + 1])
        }
        func u32(_ at: Int) -> Int {
            guard at + 4 <= p.count else { return -1 }
            let b = (0..<4).map { Int(p[at + $0]) }
            return little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]
        }
        let ifd = u32(t + 4)
        guard ifd >= 8, t + ifd + 2 <= p.count else { return p }
        let count = u16(t + ifd)
        guard count > 0 else { return p }
        for e in 0..<min(count, 1000) {
            let at = t + ifd + 2 + 12 * e
            guard at + 12 <= p.count else { break }
            if u16(at) == 0x0112 && u16(at + 2) == 3 {
                if little { p[at + 8] = 1; p[at + 9] = 0 } else { p[at + 8] = 0; p[at + 9] = 1 }
                break
            }
        }
        return p
    }

    /// A JPEG with an APP1 "Exif" segment holding `tiff` inserted after SOI and any APP0 (JFIF).
    public static func jpeg(_ file: [UInt8], insertingExif tiff: [UInt8]) -> [UInt8] {
        let payload = Array("Exif\0\0".utf8) + tiff
        return jpeg(file, insertingSegment: 0xE1, payload: payload)
    }

    /// A JPEG with one marker segment inserted after SOI and any APP0.
    public static func jpeg(_ jpeg: [UInt8], insertingSegment marker: UInt8, payload: [UInt8]) -> [UInt8] {
        precondition(payload.count + 2 <= 0xFFFF, "segment too long")
        var at = 2
        if jpeg.count > 6, jpeg[2] == 0xFF, jpeg[3] == 0xE0 {
            at = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5]))
        }
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[..<at]) + segment + Array(jpeg[at...])
    }

    /// A PNG with a chunk inserted right after IHDR.
    public static func png(_ png: [UInt8], insertingChunk type: String, data: [UInt8]) -> [UInt8] {
        let at = 8 + 8 + 13 + 4
        return Array(png[..<at]) + chunk(type, data) + Array(png[at...])
    }

    /// One PNG chunk: length, type, data, CRC-32 of type and data.
    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        let n = UInt32(data.count)
        let crc = CRC32.checksum(typeBytes + data)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + typeBytes + data
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }

    /// A minimal big-endian TIFF block with IFD0 holding `orientation` and, when `gps` is set, a
    /// GPS IFD with latitude and longitude (as phones write them).
    public static func exif(orientation: Int?, gps: Bool = false, serialNumber: String? = nil) -> [UInt8] {
        var entries: [(tag: Int, type: Int, count: Int, value: [UInt8])] = []
        if let orientation { entries.append((0x0112, 3, 1, [UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0, 0])) }
        if gps { entries.append((0x8825, 4, 1, [0, 0, 0, 0])) }
        if serialNumber != nil { entries.append((0x8769, 4, 1, [0, 0, 0, 0])) }
        var out: [UInt8] = Array("MM".utf8) + [0, 42, 0, 0, 0, 8]
        func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let ifd0Size = 2 + 12 * entries.count + 4
        var next = 8 + ifd0Size
        var tail: [UInt8] = []
        var ifd: [UInt8] = u16(entries.count)
        for entry in entries {
            var value = entry.value
            if entry.tag == 0x8825 {
                value = u32(next)
                // GPS IFD: GPSLatitudeRef 'N', GPSLatitude 3 RATIONALs, GPSLongitudeRef 'E', GPSLongitude.
                let dataStart = next + 2 + 12 * 4 + 4
                var gpsIFD = u16(4)
                gpsIFD += u16(1) + u16(2) + u32(2) + [0x4E, 0, 0, 0]
                gpsIFD += u16(2) + u16(5) + u32(3) + u32(dataStart)
                gpsIFD += u16(3) + u16(2) + u32(2) + [0x45, 0, 0, 0]
                gpsIFD += u16(4) + u16(5) + u32(3) + u32(dataStart + 24)
                gpsIFD += u32(0)
                let rationals = [48, 1, 51, 1, 2400, 100, 2, 1, 21, 1, 1200, 100].flatMap(u32)
                tail += gpsIFD + rationals
                next += gpsIFD.count + rationals.count
            } else if entry.tag == 0x8769, let serial = serialNumber {
                value = u32(next)
                let text = Array(serial.utf8) + [0]
                let exifIFD = u16(1) + u16(0xA431) + u16(2) + u32(text.count) + u32(next + 18) + u32(0)
                tail += exifIFD + text
                next += exifIFD.count + text.count
            }
            ifd += u16(entry.tag) + u16(entry.type) + u32(entry.count) + value
        }
        ifd += u32(0)
        out += ifd + tail
        return out
    }
}

/// CRC-32 (ISO 3309, as PNG uses it).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
