/// What a file really is, decided by its first bytes, never by its name.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpeg, png, gif, webp, heic, avif, bmp, tiff, jpeg2000, jpegXL, psd, pdf, svg, html, xml, text, empty, unknown

    /// How a sentence names the format ("a WebP image", "an HTML page").
    public var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .gif: "GIF"
        case .webp: "WebP"
        case .heic: "HEIC/HEIF"
        case .avif: "AVIF"
        case .bmp: "BMP"
        case .tiff: "TIFF"
        case .jpeg2000: "JPEG 2000"
        case .jpegXL: "JPEG XL"
        case .psd: "Photoshop (PSD)"
        case .pdf: "PDF"
        case .svg: "SVG"
        case .html: "HTML"
        case .xml: "XML"
        case .text: "plain text"
        case .empty: "empty"
        case .unknown: "unrecognised binary"
        }
    }

    /// "a WebP image", "an HTML page", "an empty file".
    public var descriptionWithArticle: String {
        switch self {
        case .html: "an HTML page (often a saved error or login page)"
        case .xml: "an XML document"
        case .text: "a plain-text file"
        case .empty: "an empty file (0 bytes)"
        case .unknown: "binary data of no image format this tool knows"
        case .pdf: "a PDF document"
        case .svg: "an SVG vector drawing"
        case .avif, .heic, .jpeg, .jpegXL, .jpeg2000: "an \(displayName) image"
        default: "a \(displayName) image"
        }
    }

    /// A raster image format (as opposed to documents, text, nothing).
    public var isImage: Bool {
        switch self {
        case .jpeg, .png, .gif, .webp, .heic, .avif, .bmp, .tiff, .jpeg2000, .jpegXL, .psd: true
        default: false
        }
    }

    /// The formats this tool decodes (and the avatar services accept).
    public var isDecodable: Bool { self == .jpeg || self == .png }

    /// The file name extensions that name this format (lower case, no dot).
    public var extensions: [String] {
        switch self {
        case .jpeg: ["jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"]
        case .png: ["png", "apng"]
        case .gif: ["gif"]
        case .webp: ["webp"]
        case .heic: ["heic", "heif", "hif"]
        case .avif: ["avif"]
        case .bmp: ["bmp", "dib"]
        case .tiff: ["tif", "tiff"]
        case .jpeg2000: ["jp2", "j2k", "jpx", "jpf"]
        case .jpegXL: ["jxl"]
        case .psd: ["psd"]
        case .pdf: ["pdf"]
        case .svg: ["svg"]
        case .html: ["html", "htm"]
        case .xml: ["xml"]
        case .text: ["txt"]
        case .empty, .unknown: []
        }
    }

    /// The format a file name's extension claims, if it names an image format.
    public static func claimed(byExtension ext: String) -> ImageFormat? {
        let lower = ext.lowercased()
        return ImageFormat.allCases.first { $0.isImage && $0.extensions.contains(lower) }
    }

    /// Identifies a format from a file's first bytes (64 are enough for every signature here;
    /// up to 1 KiB lets text and markup be told apart). `totalCount` is the whole file's size.
    public static func sniff(_ head: ArraySlice<UInt8>, totalCount: Int) -> ImageFormat {
        let b = Array(head)
        if totalCount == 0 || b.isEmpty { return .empty }
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + sig.count && Array(b[offset..<offset + sig.count]) == sig
        }
        func ascii(_ s: String, at offset: Int = 0) -> Bool { starts(Array(s.utf8), at: offset) }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if ascii("GIF87a") || ascii("GIF89a") { return .gif }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .webp }
        if ascii("ftyp", at: 4), b.count >= 12 {
            let boxSize = b.count >= 4 ? Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3]) : 0
            var brands: [String] = [String(decoding: b[8..<12], as: UTF8.self)]
            var offset = 16
            while offset + 4 <= min(boxSize, b.count) {
                brands.append(String(decoding: b[offset..<offset + 4], as: UTF8.self))
                offset += 4
            }
            if brands.contains(where: { $0 == "avif" || $0 == "avis" }) { return .avif }
            let heif: Set = ["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"]
            if brands.contains(where: { heif.contains($0) }) { return .heic }
            if brands.first == "jp2 " { return .jpeg2000 }
        }
        if ascii("BM"), b.count >= 26, b[14] >= 12, b[15] == 0, b[16] == 0, b[17] == 0 { return .bmp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A])
            || starts([0xFF, 0x4F, 0xFF, 0x51]) { return .jpeg2000 }
        if starts([0xFF, 0x0A]) || starts([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) {
            return .jpegXL
        }
        if ascii("8BPS") { return .psd }
        if ascii("%PDF-") { return .pdf }
        return sniffText(b)
    }

    private static func sniffText(_ b: [UInt8]) -> ImageFormat {
        var bytes = b[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        // Text: valid UTF-8 without control characters other than tab, CR, LF, FF.
        // The sniffed window may cut a multi-byte character: allow up to 3 trailing bytes.
        let controls = bytes.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0x0C }
        if controls { return .unknown }
        var candidate = Array(bytes)
        var valid = false
        for _ in 0..<4 {
            if !candidate.isEmpty, String(validating: candidate, as: UTF8.self) != nil { valid = true; break }
            guard let last = candidate.last, (0x80...0xF4).contains(last), candidate.count > 1 else { break }
            candidate.removeLast()
        }
        guard valid else { return .unknown }
        let text = String(decoding: candidate, as: UTF8.self)
            .trimmingPrefix(while: { $0.isWhitespace }).lowercased()
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.hasPrefix("<head")
            || text.hasPrefix("<body") { return .html }
        if text.hasPrefix("<svg") || (text.hasPrefix("<?xml") && text.contains("<svg")) { return .svg }
        if text.hasPrefix("<?xml") { return .xml }
        if text.hasPrefix("<!--") && text.contains("<html") { return .html }
        return .text
    }
}

extension String {
    fileprivate func trimmingPrefix(while predicate: (Character) -> Bool) -> Substring {
        self[...].drop(while: predicate)
    }
}
