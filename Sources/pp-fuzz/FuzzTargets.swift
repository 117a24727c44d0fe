import FaceNet
import PhotoCodec
import PreflightKit

/// The fuzz targets: each takes arbitrary bytes and must neither crash, hang, nor allocate without
/// bound. Limits are small (a few megapixels, 64 MiB of decoder memory) so that one input takes
/// milliseconds and libFuzzer explores many.
enum FuzzTargets {
    static let maxPixels = 4_000_000
    static let maxWorkingBytes = 64 << 20

    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "probe": probe, "exif": exif, "icc": icc, "jpeg": jpeg, "png": png, "rules": rules, "onnx": onnx,
    ]

    /// A model file given with --models: the ONNX reader, the graph compiler at a small input,
    /// and, when the graph has YuNet's outputs, a detection on a small image.
    static func onnx(_ data: [UInt8]) {
        guard let model = try? ONNXModel(bytes: data) else { return }
        _ = try? NetworkPlan(model, inputShape: [1, 3, 32, 32])
        if let net = try? YuNet(model: model) {
            let pixels = [UInt8](repeating: 128, count: 40 * 24 * 3)
            _ = try? pixels.withUnsafeBufferPointer { try net.detect(pixels: $0, width: 40, height: 24, channels: 3) }
        }
    }

    /// The header probe (JPEG markers, PNG chunks, EXIF, other formats' magic).
    static func probe(_ data: [UInt8]) {
        let header = Probe.header(of: data)
        _ = header.displayWidth
        _ = header.pixelCount
    }

    /// The EXIF (TIFF) reader, on the bytes as a TIFF block.
    static func exif(_ data: [UInt8]) {
        _ = ExifReader.read(tiff: data[...])
    }

    /// ICC extraction from JPEG APP2 segments and a PNG iCCP chunk, the profile parser, and the
    /// conversion with whatever profile parses.
    static func icc(_ data: [UInt8]) {
        _ = ColorProfile.jpegICC(data)
        _ = ColorProfile.pngICC(data)
        if let profile = ColorProfile.parse(data) {
            _ = profile.convertToSRGB(Raster(width: 4, height: 2, channels: 3, pixels: (0..<24).map { UInt8($0 * 10) }))
        }
    }

    /// JPEG decode whole (at 1/8, strict Huffman) and by region (full size), as check and fix do;
    /// and the lossless rewriter (turned by the orientation the file claims, cropped, requantised,
    /// sampled), as fix does, with the marker segments it would keep.
    static func jpeg(_ data: [UInt8]) {
        let header = Probe.header(of: data)
        _ = try? JPEGCodec.decode(.memory(data), scale: 8, maxPixels: maxPixels, maxWorkingBytes: maxWorkingBytes, strictHuffman: true)
        if header.format == .jpeg, header.problem == nil, (header.pixelCount ?? .max) <= maxPixels {
            _ = try? PhotoDecoder.decode(data, header: header, region: PixelRect(x: 3, y: 5, width: 40, height: 30), maxPixels: maxPixels)
            if let t = try? JPEGTranscoder(.memory(data), orientation: header.orientation.rawValue, maxMemory: maxWorkingBytes) {
                var source = MemoryByteSource(data)
                let segments = (JPEGSegment.metadata(of: &source) ?? []).filter { !$0.isCodecOwned }
                    .map { $0.isExif ? JPEGSegment(marker: $0.marker, payload: ContainerEditor.exifSettingOrientationUp($0.payload)) : $0 }
                _ = try? t.write(tableScale: nil, segments: segments)
                _ = try? t.write(tableScale: 300, crop: PixelRect(x: 16, y: 16, width: 40, height: 24), sampleStep: 2)
            }
            _ = ContainerEditor.jpegStrippingMetadata(data)
        }
    }

    /// PNG decode whole (shrunk by 4, as for analysis) and by region.
    static func png(_ data: [UInt8]) {
        let header = Probe.header(of: data)
        _ = try? PNGCodec.decode(.memory(data), factor: 4, maxPixels: maxPixels)
        _ = ContainerEditor.pngStrippingMetadata(data)
        if header.format == .png, header.problem == nil, (header.pixelCount ?? .max) <= maxPixels {
            _ = try? PhotoDecoder.decode(data, header: header, region: PixelRect(x: 3, y: 5, width: 40, height: 30), scale: 2,
                                         maxPixels: maxPixels)
        }
    }

    /// The rules-file parser and validator (JSON, profiles, extends, options).
    static func rules(_ data: [UInt8]) {
        _ = try? Configuration.load(json: data, source: "fuzz.json")
    }
}
