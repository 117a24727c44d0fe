/// What PhotoPreflight needs from an EXIF (TIFF) block: orientation and privacy-relevant tags.
public struct ExifSummary: Sendable, Equatable {
    /// Raw tag 0x0112 value, when present.
    public var orientation: Int?
    /// A GPS IFD holding latitude or longitude.
    public var hasGPS = false
    /// Body or lens serial number, or camera owner name (tags 0xA430, 0xA431, 0xA435).
    public var hasCameraSerial = false
}

/// A bounds-checked reader of the TIFF structure inside EXIF (JPEG APP1, PNG eXIf).
///
/// Only IFD0, the Exif IFD and the GPS IFD are visited, each at most once, so hostile offsets
/// or loops cannot make it run long. Anything malformed ends the walk with what was found.
public enum ExifReader {
    public static func read(tiff: ArraySlice<UInt8>) -> ExifSummary {
        let b = Array(tiff)
        var summary = ExifSummary()
        guard b.count >= 8 else { return summary }
        let little: Bool
        if b[0] == 0x49 && b[1] == 0x49 { little = true } else if b[0] == 0x4D && b[1] == 0x4D { little = false } else {
            return summary
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= b.count else { return nil }
            return little ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard o >= 0, o + 4 <= b.count else { return nil }
            let v = little
                ? UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
                : UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
            return Int(v)
        }
        guard u16(2) == 42, let ifd0 = u32(4) else { return summary }

        /// Calls `visit(tag, type, valueOffset)` for each entry of the IFD at `offset`.
        func entries(_ offset: Int, _ visit: (Int, Int, Int) -> Void) {
            guard let n = u16(offset), n <= 1000 else { return }
            for i in 0..<n {
                let e = offset + 2 + 12 * i
                guard let tag = u16(e), let type = u16(e + 2) else { return }
                visit(tag, type, e + 8)
            }
        }
        var exifIFD: Int?
        var gpsIFD: Int?
        entries(ifd0) { tag, type, value in
            switch tag {
            case 0x0112 where type == 3: summary.orientation = u16(value)
            case 0x0112 where type == 4: summary.orientation = u32(value)
            case 0x8769: exifIFD = u32(value)
            case 0x8825: gpsIFD = u32(value)
            default: break
            }
        }
        if let gps = gpsIFD, gps != ifd0 {
            entries(gps) { tag, _, _ in
                if (1...4).contains(tag) { summary.hasGPS = true }
            }
        }
        if let exif = exifIFD, exif != ifd0, exif != gpsIFD {
            entries(exif) { tag, _, _ in
                if [0xA430, 0xA431, 0xA435].contains(tag) { summary.hasCameraSerial = true }
            }
        }
        return summary
    }
}
