import PhotoCodec

/// Everything the rules read about one photo. Pixels are decoded only when an active rule needs
/// them, so a header-only rule set never decodes.
public struct PhotoFacts: Sendable {
    /// The path as reports show it.
    public var path: String
    /// The file name's extension, lower case, without the dot ("" when none).
    public var fileExtension: String
    public var header: PhotoHeader
    public var pixels: PixelOutcome
    /// The face and light analysis, when an active rule needs it and the pixels decoded.
    public var faces: FaceAnalysis?

    public enum PixelOutcome: Sendable {
        /// Not needed by the active rules, or not attempted (header-only mode, undecodable format).
        case notDecoded
        case decoded(PhotoDecoder.Decoded)
        case failed(CodecError)
    }

    public init(path: String, header: PhotoHeader, pixels: PixelOutcome = .notDecoded) {
        self.path = path
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            fileExtension = String(name[name.index(after: dot)...]).lowercased()
        } else {
            fileExtension = ""
        }
        self.header = header
        self.pixels = pixels
    }

    /// The displayed size ("600×800"), or nil when the header gave none.
    public var displaySize: (width: Int, height: Int)? {
        guard let w = header.displayWidth, let h = header.displayHeight else { return nil }
        return (w, h)
    }
}

/// Formatting shared by messages and reports.
public enum Units {
    /// "9.8 MB", "512 KB", "830 bytes" (decimal units, as the services state their limits).
    public static func bytes(_ n: Int) -> String {
        if n < 1000 { return "\(n) bytes" }
        if n < 1_000_000 { return "\(oneDecimal(Double(n) / 1000)) KB" }
        if n < 1_000_000_000 { return "\(oneDecimal(Double(n) / 1_000_000)) MB" }
        return "\(oneDecimal(Double(n) / 1_000_000_000)) GB"
    }

    /// Memory, in binary units as `--memory-limit` takes them: "192 MiB", "1.2 GiB".
    public static func memory(_ n: Int) -> String {
        if n < 1 << 20 { return "\(oneDecimal(Double(n) / 1024)) KiB" }
        if n < 1 << 30 { return "\(oneDecimal(Double(n) / Double(1 << 20))) MiB" }
        return "\(oneDecimal(Double(n) / Double(1 << 30))) GiB"
    }

    /// 10000000 → "10,000,000".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    static func oneDecimal(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
