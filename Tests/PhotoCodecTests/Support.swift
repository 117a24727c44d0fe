import Foundation
import PhotoCodec

/// The repository's Fixtures folder, found from this file's own path.
let fixturesRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Fixtures").path
}()

func fixture(_ relative: String) -> String { fixturesRoot + "/photos/" + relative }

func bytes(_ relative: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
}

/// A small RGB raster whose every pixel is distinct: (x, y) → [x*16, y*16, 7].
func pattern(width: Int, height: Int) -> Raster {
    var p: [UInt8] = []
    for y in 0..<height { for x in 0..<width { p += [UInt8(x * 16), UInt8(y * 16), 7] } }
    return Raster(width: width, height: height, channels: 3, pixels: p)
}

/// Mean absolute difference per sample.
func meanDifference(_ a: Raster, _ b: Raster) -> Double {
    precondition(a.pixels.count == b.pixels.count)
    var total = 0
    for i in 0..<a.pixels.count { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
    return Double(total) / Double(a.pixels.count)
}
