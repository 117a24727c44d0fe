import CJPEG

/// A JPEG's DCT coefficients, read once and rewritten without decoding a pixel (what jpegtran
/// does): turned upright by its EXIF orientation, requantised to a coarser quality to fit a size
/// budget, written as an optimised baseline JPEG carrying the marker segments the caller keeps.
///
/// Holds every coefficient of the image (`coefficientBytes`: 146 MB for a 48 MP 4:2:0 photo);
/// the turned image is never held whole: the writer builds each row of output blocks on request.
public final class JPEGTranscoder {
    private let handle: OpaquePointer
    /// The output's size (width and height swap for orientations 5–8).
    public let width: Int, height: Int
    /// libjpeg warned while reading (corrupt data, premature end).
    public let damaged: Bool, truncated: Bool
    public let firstWarning: String?

    /// Reads the coefficients of the JPEG in `source`, to be written turned upright from EXIF
    /// `orientation` (1–8). Throws `.unsupported` with `imperfect` set when a turn would need a
    /// flip along an edge that is not a whole number of MCUs (decode and re-encode instead).
    public init(_ source: EncodedSource, orientation: Int = 1, maxMemory: Int = 0, maxScans: Int = 1000) throws(TranscodeError) {
        var result = pp_jpeg_result()
        let opened = source.withInput(chunk: 0) { input in
            pp_jpeg_transcoder_open(&input, Int32(orientation), Int32(maxScans), UInt64(max(0, maxMemory)), &result)
        }
        guard let opened else {
            let message = text(&result.message)
            if result.code == PP_JPEG_IMPERFECT { throw .imperfect(message) }
            throw .codec(JPEGCodec.error(result.code, message))
        }
        handle = opened
        width = Int(result.width)
        height = Int(result.height)
        damaged = result.damaged != 0
        truncated = result.truncated != 0
        firstWarning = result.warning_count > 0 ? text(&result.first_warning) : nil
    }

    deinit { pp_jpeg_transcoder_close(handle) }

    /// libjpeg's table scale (per mille of its standard tables) for a quality 1–100.
    public static func tableScale(quality: Int) -> Int {
        let q = min(100, max(1, quality))
        return q < 50 ? 5_000 / q * 10 : 2_000 - 20 * q
    }

    /// The image as a baseline JPEG with optimised Huffman tables: `tables` nil keeps the
    /// quantisation (lossless); otherwise each coefficient is requantised to `tables` wherever
    /// they are coarser than the file's own. `segments` are written after the frame header, in
    /// order (APPn and COM; the JFIF and Adobe markers are libjpeg's own).
    /// `sampleStep` > 1 writes every that-many-th MCU row only, without segments: an estimate of
    /// the whole image's size (times the step) at a fraction of the time.
    /// `crop` writes only that rectangle of the upright image (`jpegtran -crop`, lossless): its
    /// corner must lie on the MCU grid (`mcu`).
    public func write(tables: QuantTables?, crop: PixelRect? = nil, sampleStep: Int = 1, segments: [JPEGSegment] = []) throws(CodecError) -> [UInt8] {
        var blob: [UInt8] = []
        for segment in segments where segment.payload.count <= 65533 {
            let n = segment.payload.count
            blob += [segment.marker, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24 & 0xFF)]
            blob += segment.payload
        }
        let divisors = tables.map { $0.luma + $0.chroma }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        let code = blob.withUnsafeBufferPointer { markers in
            message.withUnsafeMutableBufferPointer { text in
                withOptionalBuffer(divisors) { table in
                    pp_jpeg_transcoder_write(handle, table, Int32(crop?.x ?? 0), Int32(crop?.y ?? 0), Int32(crop?.width ?? 0),
                                             Int32(crop?.height ?? 0), Int32(sampleStep), markers.baseAddress, markers.count, &out, &size, text.baseAddress)
                }
            }
        }
        defer { pp_jpeg_free(out) }
        guard code == PP_JPEG_OK, let out else { throw CodecError(.corrupt, "libjpeg could not write: " + cString(message)) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// `write(tables:)` with libjpeg's standard tables scaled by tableScale / 1000 (quality 90
    /// is 200; see `tableScale(quality:)`); nil keeps the file's tables.
    public func write(tableScale: Int?, crop: PixelRect? = nil, sampleStep: Int = 1, segments: [JPEGSegment] = []) throws(CodecError) -> [UInt8] {
        try write(tables: tableScale.map { QuantTables.standard(scale: $0) }, crop: crop, sampleStep: sampleStep, segments: segments)
    }

    /// What transcoding the JPEG in `source` holds: its coefficients, plus the output.
    public static func cost(_ source: EncodedSource) throws(CodecError) -> Int {
        var info = pp_jpeg_info()
        let code = source.withInput(chunk: 0) { input in pp_jpeg_inspect(&input, 1, &info) }
        guard code == PP_JPEG_OK else { throw JPEGCodec.error(code, text(&info.message)) }
        return Int(clamping: info.coefficient_bytes) + (1 << 20)
    }
}

public enum TranscodeError: Error, Sendable, Equatable {
    /// A lossless turn is impossible at this size (partial MCUs on a mirrored edge).
    case imperfect(String)
    case codec(CodecError)
}

/// One marker segment of a JPEG before its first scan: APPn (0xE0–0xEF) or COM (0xFE).
public struct JPEGSegment: Sendable, Equatable {
    public var marker: UInt8
    public var payload: [UInt8]

    public init(marker: UInt8, payload: [UInt8]) {
        self.marker = marker
        self.payload = payload
    }

    /// APP0 "JFIF", APP14 "Adobe": libjpeg writes its own.
    public var isCodecOwned: Bool {
        (marker == 0xE0 && payload.starts(with: Array("JFIF\0".utf8))) || (marker == 0xEE && payload.starts(with: Array("Adobe".utf8)))
    }
    public var isExif: Bool { marker == 0xE1 && payload.starts(with: Array("Exif\0".utf8)) }
    public var isICC: Bool { marker == 0xE2 && payload.starts(with: Array("ICC_PROFILE\0".utf8)) }

    /// The APPn and COM segments of the JPEG in `source`, in file order, up to its first scan or
    /// frame-independent data; nil when the markers cannot be walked.
    public static func metadata<S: ByteSource>(of source: inout S, limit: Int = 16 << 20) -> [JPEGSegment]? {
        var segments: [JPEGSegment] = []
        var at = 2, total = 0
        guard let soi = try? source.bytes(at: 0, length: 2), soi.elementsEqual([0xFF, 0xD8]) else { return nil }
        while segments.count < 10_000 {
            guard let head = try? source.bytes(at: at, length: 4), head.count == 4 else { return nil }
            let h = Array(head)
            guard h[0] == 0xFF else { return nil }
            if h[1] == 0xFF { at += 1; continue }
            let marker = h[1]
            if marker == 0xDA || marker == 0xD9 { return segments }
            let length = Int(h[2]) << 8 | Int(h[3])
            guard length >= 2 else { return nil }
            if (0xE0...0xEF).contains(marker) || marker == 0xFE {
                total += length
                guard total <= limit, let payload = try? source.bytes(at: at + 4, length: length - 2), payload.count == length - 2
                else { return nil }
                segments.append(JPEGSegment(marker: marker, payload: Array(payload)))
            }
            at += 2 + length
        }
        return nil
    }
}

private func withOptionalBuffer<R>(_ values: [UInt16]?, _ body: (UnsafePointer<UInt16>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
