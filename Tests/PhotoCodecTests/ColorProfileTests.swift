import Testing
import Foundation
@testable import PhotoCodec

let displayP3 = ColorProfile.displayP3

@Suite("colour profiles")
struct ColorProfileTests {
    @Test("a Display P3 profile parses, is not sRGB, and converts a colour as the published P3→sRGB matrix does")
    func displayP3Conversion() throws {
        let profile = try #require(ColorProfile.parse(ColorProfile.matrixProfile(name: "Display P3", red: displayP3.red, green: displayP3.green,
                                                                 blue: displayP3.blue)))
        #expect(profile.name == "Display P3")
        #expect(!profile.isSRGB)
        let out = profile.convertToSRGB(Raster(width: 1, height: 1, channels: 3, pixels: [200, 100, 50]))
        // Reference: linearise, multiply by the D65 P3→sRGB matrix, encode (values from the literature).
        func lin(_ v: Double) -> Double { v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
        func enc(_ v: Double) -> Double { v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055 }
        let p = [200.0, 100, 50].map { lin($0 / 255) }
        let m = [[1.2249, -0.2247, 0.0], [-0.0420, 1.0419, 0.0], [-0.0197, -0.0786, 1.0979]]
        let expected = m.map { row in enc(max(0, min(1, row[0] * p[0] + row[1] * p[1] + row[2] * p[2]))) * 255 }
        for c in 0..<3 { #expect(abs(Double(out.pixels[c]) - expected[c]) <= 2, "channel \(c): \(out.pixels[c]) vs \(expected[c])") }
    }

    @Test("an sRGB profile is recognised as sRGB; LUT or broken profiles are not parsed")
    func srgbAndBroken() {
        let srgb = ColorProfile.parse(ColorProfile.matrixProfile(name: "sRGB IEC61966-2.1", red: [0.4361, 0.2225, 0.0139],
                                                 green: [0.3851, 0.7169, 0.0971], blue: [0.1431, 0.0606, 0.7141]))
        #expect(srgb?.isSRGB == true)
        #expect(ColorProfile.parse([]) == nil)
        var truncated = ColorProfile.matrixProfile(name: "x", red: displayP3.red, green: displayP3.green, blue: displayP3.blue)
        truncated.removeLast(60)
        #expect(ColorProfile.parse(truncated) == nil)
    }
}
