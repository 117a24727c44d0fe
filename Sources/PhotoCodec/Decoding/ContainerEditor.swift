/// Inserts metadata into encoded files without re-encoding: EXIF into a JPEG (APP1) or a PNG
/// (eXIf), and arbitrary PNG chunks. Used to build fixtures; the fix pipeline writes none.
public enum ContainerEditor {
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
