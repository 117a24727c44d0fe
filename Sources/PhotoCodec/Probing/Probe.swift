/// Reads a photo's header in pure Swift from the first bytes of a file: format by magic bytes,
/// size, orientation, colour model and the metadata a rule cares about. Never decodes pixels.
public enum Probe {
    /// Probes the file at `path`, reading as little of it as the format allows.
    public static func header(ofFileAt path: String) throws(ByteSourceError) -> PhotoHeader {
        var source = try FileByteSource(path: path)
        return try header(of: &source)
    }

    /// Probes bytes held in memory.
    public static func header(of bytes: [UInt8]) -> PhotoHeader {
        var source = MemoryByteSource(bytes)
        // A memory source never throws.
        return (try? header(of: &source)) ?? PhotoHeader(format: .unknown, byteCount: bytes.count)
    }

    public static func header<S: ByteSource>(of source: inout S) throws(ByteSourceError) -> PhotoHeader {
        let head = try source.bytes(at: 0, length: 1024)
        let format = ImageFormat.sniff(head, totalCount: source.count)
        var header = PhotoHeader(format: format, byteCount: source.count)
        switch format {
        case .jpeg: try JPEGProbe.read(&source, into: &header)
        case .png: try PNGProbe.read(&source, into: &header)
        default: OtherFormatsProbe.read(Array(head), into: &header)
        }
        return header
    }
}

/// A forward cursor over a byte source that records "ran out of data" instead of throwing.
struct Cursor<S: ByteSource> {
    var source: S
    var offset: Int

    mutating func bytes(_ n: Int) throws(ByteSourceError) -> [UInt8]? {
        let slice = try source.bytes(at: offset, length: n)
        guard slice.count == n else { return nil }
        offset += n
        return Array(slice)
    }

    mutating func u8() throws(ByteSourceError) -> Int? {
        try bytes(1).map { Int($0[0]) }
    }

    mutating func u16() throws(ByteSourceError) -> Int? {
        try bytes(2).map { Int($0[0]) << 8 | Int($0[1]) }
    }

    mutating func u32() throws(ByteSourceError) -> Int? {
        try bytes(4).map { Int($0[0]) << 24 | Int($0[1]) << 16 | Int($0[2]) << 8 | Int($0[3]) }
    }
}

/// JPEG markers up to the frame header: SOF for size and coding, APP1 EXIF / XMP, APP2 ICC, APP14 Adobe.
enum JPEGProbe {
    static func read<S: ByteSource>(_ source: inout S, into header: inout PhotoHeader) throws(ByteSourceError) {
        var cursor = Cursor(source: source, offset: 2)
        defer { source = cursor.source }
        var segments = 0
        while true {
            segments += 1
            if segments > 10_000 {
                header.problem = "more than 10,000 marker segments before the frame header"
                return
            }
            // A marker is 0xFF, optional 0xFF fill bytes, then the code.
            guard var byte = try cursor.u8() else {
                header.problem = "the file ends before the frame header (SOF) that gives the image size"
                return
            }
            if byte != 0xFF {
                header.problem = "expected a JPEG marker at byte \(cursor.offset - 1), found \(hex(byte))"
                return
            }
            repeat {
                guard let next = try cursor.u8() else {
                    header.problem = "the file ends before the frame header (SOF) that gives the image size"
                    return
                }
                byte = next
            } while byte == 0xFF
            let marker = UInt8(byte)
            switch marker {
            case 0x01, 0xD0...0xD8: continue  // standalone markers
            case 0xD9:
                header.problem = "the image ends (EOI) before any frame header (SOF)"
                return
            case 0xDA:
                header.problem = "image data (SOS) starts before any frame header (SOF)"
                return
            default: break
            }
            guard let length = try cursor.u16(), length >= 2 else {
                header.problem = "marker \(hex(Int(marker))) has a missing or invalid length"
                return
            }
            let payloadStart = cursor.offset
            if payloadStart + length - 2 > cursor.source.count {
                header.problem = "the file ends inside marker segment \(hex(Int(marker)))"
                if !isFrameMarker(marker) { return }
            }
            if isFrameMarker(marker) {
                readFrame(&cursor, marker: marker, length: length, into: &header)
                return
            }
            switch marker {
            case 0xE1:
                if let payload = try cursor.bytes(length - 2) {
                    if payload.starts(with: Array("Exif\0\0".utf8)) {
                        header.hasExif = true
                        apply(ExifReader.read(tiff: payload[6...]), to: &header)
                    } else if payload.starts(with: Array("http://ns.adobe.com/xap/1.0/".utf8)) {
                        header.hasXMP = true
                    }
                }
            case 0xE2:
                if let sig = try cursor.bytes(min(12, length - 2)), sig == Array("ICC_PROFILE\0".utf8) {
                    header.hasICC = true
                }
            case 0xEE:
                if let payload = try cursor.bytes(min(12, length - 2)), payload.count >= 12,
                    payload.starts(with: Array("Adobe".utf8))
                {
                    header.adobeTransform = Int(payload[11])
                }
            case 0xFE: header.hasComment = true
            default: break
            }
            cursor.offset = payloadStart + length - 2
        }
    }

    /// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    static func isFrameMarker(_ m: UInt8) -> Bool {
        (0xC0...0xCF).contains(m) && m != 0xC4 && m != 0xC8 && m != 0xCC
    }

    static func readFrame<S>(_ cursor: inout Cursor<S>, marker: UInt8, length: Int, into header: inout PhotoHeader) {
        header.jpegFrameMarker = marker
        header.progressive = [0xC2, 0xC6, 0xCA, 0xCE].contains(marker)
        guard let fixed = try? cursor.bytes(6) else {
            header.problem = "the file ends inside the frame header (SOF)"
            return
        }
        header.bitDepth = Int(fixed[0])
        let height = Int(fixed[1]) << 8 | Int(fixed[2])
        let width = Int(fixed[3]) << 8 | Int(fixed[4])
        let components = Int(fixed[5])
        var ids: [UInt8] = []
        if let list = try? cursor.bytes(3 * components) {
            ids = stride(from: 0, to: list.count, by: 3).map { list[$0] }
            // The MCU: 8 pixels times the largest sampling factor (high nibble h, low nibble v).
            let factors = stride(from: 1, to: list.count, by: 3).map { list[$0] }
            if let h = factors.map({ Int($0 >> 4) }).max(), let v = factors.map({ Int($0 & 0x0F) }).max(), h > 0, v > 0 {
                header.jpegMCU = (8 * h, 8 * v)
            }
        }
        header.width = width
        header.height = height
        switch components {
        case 1: header.colorModel = .gray
        case 3:
            let rgbIDs = ids == Array("RGB".utf8)
            header.colorModel = (header.adobeTransform == 0 || rgbIDs) ? .rgb : .ycbcr
        case 4: header.colorModel = header.adobeTransform == 2 ? .ycck : .cmyk
        default: break
        }
        if width == 0 || height == 0 {
            header.problem = "the frame header gives a size of \(width)×\(height)"
                + (height == 0 ? " (height defined later by a DNL marker, which is not supported)" : "")
        } else if ![1, 3, 4].contains(components) {
            header.problem = "the frame header declares \(components) colour components"
        }
    }

    static func apply(_ exif: ExifSummary, to header: inout PhotoHeader) {
        if let value = exif.orientation {
            if let o = Orientation(rawValue: value) {
                header.orientation = o
            } else {
                header.invalidOrientationValue = value
            }
        }
        header.hasGPS = header.hasGPS || exif.hasGPS
        header.hasCameraSerial = header.hasCameraSerial || exif.hasCameraSerial
    }
}

/// PNG chunks up to the first IDAT: IHDR for size and depth, acTL (APNG), eXIf, iCCP, tRNS, XMP.
///
/// Chunks after the image data are not read (the probe would have to seek through every IDAT);
/// PNG 1.5 asks writers to put eXIf before IDAT, and the APNG spec requires acTL there.
enum PNGProbe {
    static func read<S: ByteSource>(_ source: inout S, into header: inout PhotoHeader) throws(ByteSourceError) {
        var cursor = Cursor(source: source, offset: 8)
        defer { source = cursor.source }
        guard let length = try cursor.u32(), let type = try cursor.bytes(4) else {
            header.problem = "the file ends before the IHDR chunk that gives the image size"
            return
        }
        guard type == Array("IHDR".utf8), length == 13, let ihdr = try cursor.bytes(13) else {
            header.problem = "the first chunk is not a 13-byte IHDR"
            return
        }
        let width = Int(ihdr[0]) << 24 | Int(ihdr[1]) << 16 | Int(ihdr[2]) << 8 | Int(ihdr[3])
        let height = Int(ihdr[4]) << 24 | Int(ihdr[5]) << 16 | Int(ihdr[6]) << 8 | Int(ihdr[7])
        let depth = Int(ihdr[8])
        let colorType = Int(ihdr[9])
        header.width = width
        header.height = height
        header.bitDepth = depth
        header.interlaced = ihdr[12] == 1
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        header.colorModel = [0: .gray, 2: .rgb, 3: .palette, 4: .grayAlpha, 6: .rgba][colorType]
        header.hasAlpha = colorType == 4 || colorType == 6
        if width == 0 || height == 0 || width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
            header.problem = "IHDR gives an invalid size of \(width)×\(height)"
            return
        }
        guard let depths = allowed[colorType], depths.contains(depth) else {
            header.problem = "IHDR gives an invalid colour type \(colorType) with bit depth \(depth)"
            return
        }
        if ihdr[12] > 1 {
            header.problem = "IHDR gives an unknown interlace method \(ihdr[12])"
            return
        }
        cursor.offset += 4  // IHDR CRC
        for _ in 0..<10_000 {
            guard let length = try cursor.u32(), let type = try cursor.bytes(4) else { return }
            let name = String(decoding: type, as: UTF8.self)
            if name == "IDAT" || name == "IEND" { return }
            let start = cursor.offset
            switch name {
            case "acTL":
                header.isAnimated = true
                header.frameCount = try cursor.u32()
            case "tRNS": header.hasAlpha = true
            case "iCCP": header.hasICC = true
            case "eXIf":
                if length <= 1 << 20, let payload = try cursor.bytes(length) {
                    header.hasExif = true
                    let tiff = payload.starts(with: Array("Exif\0\0".utf8)) ? payload[6...] : payload[...]
                    JPEGProbe.apply(ExifReader.read(tiff: tiff), to: &header)
                }
            case "iTXt":
                if let keyword = try cursor.bytes(min(length, 18)), keyword == Array("XML:com.adobe.xmp\0".utf8) {
                    header.hasXMP = true
                }
            case "tEXt", "zTXt": header.hasComment = true
            default: break
            }
            cursor.offset = start + length + 4
        }
    }
}

/// Sizes of formats this tool names but does not decode, so a finding can say what the file is.
enum OtherFormatsProbe {
    static func read(_ b: [UInt8], into header: inout PhotoHeader) {
        func le16(_ o: Int) -> Int { o + 2 <= b.count ? Int(b[o]) | Int(b[o + 1]) << 8 : 0 }
        func le24(_ o: Int) -> Int { o + 3 <= b.count ? le16(o) | Int(b[o + 2]) << 16 : 0 }
        func le32s(_ o: Int) -> Int {
            o + 4 <= b.count ? Int(Int32(bitPattern: UInt32(le24(o)) | UInt32(b[o + 3]) << 24)) : 0
        }
        switch header.format {
        case .gif where b.count >= 10:
            header.width = le16(6)
            header.height = le16(8)
        case .webp where b.count >= 30:
            let chunk = String(decoding: b[12..<16], as: UTF8.self)
            if chunk == "VP8X" {
                header.isAnimated = b[20] & 0x02 != 0
                header.hasAlpha = b[20] & 0x10 != 0
                header.width = le24(24) + 1
                header.height = le24(27) + 1
            } else if chunk == "VP8L" {
                let bits = UInt32(le24(21)) | UInt32(b[24]) << 24
                header.width = Int(bits & 0x3FFF) + 1
                header.height = Int((bits >> 14) & 0x3FFF) + 1
                header.hasAlpha = (bits >> 28) & 1 == 1
            } else if chunk == "VP8 " {
                header.width = le16(26) & 0x3FFF
                header.height = le16(28) & 0x3FFF
            }
        case .bmp where b.count >= 26:
            header.width = abs(le32s(18))
            header.height = abs(le32s(22))
        default: break
        }
    }
}

/// "0xD9": a byte as JPEG documentation writes markers.
func hex(_ value: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
}
