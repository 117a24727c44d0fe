import Foundation
import Testing
@testable import FaceFinder
import PhotoCodec

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let cascadeDir = CascadeSet.searchDirectories(explicit: nil).first {
    FileManager.default.fileExists(atPath: $0 + "/" + CascadeSet.frontalFile)
} ?? "/usr/share/opencv4"

func astronaut() throws -> GrayImage {
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Fixtures/sources/astronaut.png")))
    let d = try PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0)
    return GrayImage(width: d.raster.width, height: d.raster.height, channels: d.raster.channels, interleaved: d.raster.pixels)
}

@Suite("cascade files")
struct CascadeFileTests {
    @Test("every cascade of opencv-data that uses the current format loads", arguments: [
        "haarcascades/haarcascade_frontalface_alt2.xml", "haarcascades/haarcascade_frontalface_default.xml",
        "haarcascades/haarcascade_eye.xml", "haarcascades/haarcascade_eye_tree_eyeglasses.xml",
        "haarcascades/haarcascade_profileface.xml", "lbpcascades/lbpcascade_frontalface_improved.xml",
        "lbpcascades/lbpcascade_profileface.xml",
    ])
    func loads(file: String) throws {
        let c = try Cascade(file: cascadeDir + "/" + file)
        #expect(c.stageCount >= 10)
        #expect(c.featureType == (file.hasPrefix("lbp") ? .lbp : .haar))
        if file.contains("eyeglasses") { #expect(c.hasTilted) }
    }

    @Test("broken files are errors that say what is wrong", arguments: [
        ("", "no root element"),
        ("<opencv_storage><cascade><featureType>HAAR</featureType>", "is not closed"),
        ("<opencv_storage><cascade><featureType>SURF</featureType><stages/></cascade></opencv_storage>", "unsupported feature type SURF"),
        ("<opencv_storage><cascade><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_></_></stages><features><_><rects><_>0 0 30 4 -1.</_></rects><tilted>0</tilted></_></features></cascade></opencv_storage>", "outside the 24×24 window"),
        ("<opencv_storage><cascade><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 7 0.5</internalNodes><leafValues>1 2</leafValues></_></weakClassifiers></_></stages><features><_><rects><_>0 0 3 4 -1.</_></rects><tilted>0</tilted></_></features></cascade></opencv_storage>", "feature 7 does not exist"),
        ("<opencv_storage><cascade><featureType>HAAR</featureType><width>24</width><height>24</height><stages><_><stageThreshold>1</stageThreshold><weakClassifiers><_><internalNodes>1 -1 0 0.5</internalNodes><leafValues>1 2</leafValues></_></weakClassifiers></_></stages><features><_><rects><_>0 0 3 4 -1.</_></rects><tilted>0</tilted></_></features></cascade></opencv_storage>", "points outside its tree"),
    ] as [(String, String)])
    func broken(xml: String, message: String) {
        do {
            _ = try Cascade(xml: Array(xml.utf8), source: "t.xml")
            Issue.record("accepted a broken cascade")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}

@Suite("integral images")
struct IntegralTests {
    func random(_ w: Int, _ h: Int, seed: UInt64) -> GrayImage {
        var s = seed
        return GrayImage(width: w, height: h, pixels: (0..<(w * h)).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: s >> 56)
        })
    }

    @Test("the tilted table matches its definition at every point, with rows padded to a wider stride")
    func tilted() {
        let img = random(13, 9, seed: 7)
        let stride = img.width + 4
        let t = IntegralImages.tiltedTable(img, stride: stride)
        for Y in 0...img.height {
            for X in 0...img.width {
                var expected: UInt32 = 0
                for y in 0..<Y {
                    for x in 0..<img.width where abs(x - X + 1) <= Y - y - 1 { expected += UInt32(img[x, y]) }
                }
                #expect(t[Y * stride + X] == expected, "T(\(X), \(Y))")
            }
        }
    }

    @Test("sums and squared sums of any rectangle are exact")
    func sums() {
        let img = random(31, 17, seed: 3)
        let ii = IntegralImages(img, squares: true, tilted: false)
        let s = ii.stride
        for (x, y, w, h) in [(0, 0, 31, 17), (3, 4, 5, 6), (30, 16, 1, 1), (10, 0, 20, 17)] {
            var sum: UInt32 = 0, sq: UInt32 = 0
            for yy in y..<(y + h) { for xx in x..<(x + w) { sum += UInt32(img[xx, yy]); sq += UInt32(img[xx, yy]) * UInt32(img[xx, yy]) } }
            #expect(ii.sum[y * s + x] &- ii.sum[y * s + x + w] &- ii.sum[(y + h) * s + x] &+ ii.sum[(y + h) * s + x + w] == sum)
            #expect(ii.squares[y * s + x] &- ii.squares[y * s + x + w] &- ii.squares[(y + h) * s + x] &+ ii.squares[(y + h) * s + x + w] == sq)
        }
    }
}

@Suite("detection")
struct DetectionTests {
    // OpenCV 4.14's detectMultiScale(gray, 1.1, 3) on the same image finds (177, 66, 97×97) with
    // frontalface_alt2 and (188, 86, 73×73) with lbpcascade_frontalface_improved.
    @Test("the astronaut's face, as OpenCV finds it", arguments: [
        ("haarcascades/haarcascade_frontalface_alt2.xml", Box(x: 177, y: 66, width: 97, height: 97)),
        ("lbpcascades/lbpcascade_frontalface_improved.xml", Box(x: 188, y: 86, width: 73, height: 73)),
    ])
    func astronautFace(file: String, expected: Box) throws {
        let c = try Cascade(file: cascadeDir + "/" + file)
        let found = c.detect(in: try astronaut())
        #expect(found.count == 1, "\(found)")
        let b = try #require(found.first).box
        #expect(abs(b.x - expected.x) <= 3 && abs(b.y - expected.y) <= 3 && abs(b.width - expected.width) <= 4, "\(b)")
    }

    @Test("the finder verifies the face by its eyes and rejects nothing real")
    func finder() throws {
        let finder = FaceFinder(cascades: try CascadeSet.load(explicitDirectory: cascadeDir))
        let scene = finder.find(in: try astronaut())
        #expect(scene.faces.count == 1)
        let face = try #require(scene.faces.first)
        #expect(face.verified)
        let ied = try #require(face.interEyeDistance)
        #expect(ied > 35 && ied < 55, "IED \(ied)")
        #expect(abs(try #require(face.rollDegrees)) < 8)
    }

    @Test("flat and noise images have no faces")
    func negatives() throws {
        let finder = FaceFinder(cascades: try CascadeSet.load(explicitDirectory: cascadeDir))
        #expect(finder.find(in: GrayImage(width: 300, height: 400, pixels: .init(repeating: 128, count: 120_000))).faces.isEmpty)
        #expect(finder.find(in: IntegralTests().random(320, 240, seed: 11)).faces.isEmpty)
    }

    @Test("grouping keeps classes with more than minNeighbors hits and drops nested weak ones")
    func grouping() {
        let a = Box(x: 100, y: 100, width: 50, height: 50)
        let hits = [a, Box(x: 102, y: 101, width: 50, height: 50), Box(x: 99, y: 98, width: 52, height: 52),
                    Box(x: 101, y: 100, width: 49, height: 49), Box(x: 300, y: 10, width: 30, height: 30),
                    Box(x: 110, y: 110, width: 20, height: 20)]
        let groups = Grouping.group(hits, minNeighbors: 3, eps: 0.2)
        #expect(groups.count == 1)
        #expect(groups.first?.neighbors == 4)
        #expect(groups.first.map { abs($0.box.x - 100) <= 1 && abs($0.box.width - 50) <= 1 } == true)
    }

    @Test("missing cascade folder: the error says what to install")
    func missing() {
        do {
            _ = try CascadeSet.load(explicitDirectory: "/nonexistent")
            Issue.record("loaded from nowhere")
        } catch {
            #expect(error.message.contains("apt-get install opencv-data"))
        }
    }
}

@Suite("eight-lane scan")
struct LaneScanTests {
    /// Pseudo-random texture with flat patches (variance rejections) and a gradient.
    static func texture(width: Int, height: Int, seed: UInt32) -> GrayImage {
        var state = seed
        var px = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 1_664_525 &+ 1_013_904_223
                let flat = (x / 40 + y / 40) % 3 == 0
                px[y * width + x] = flat ? 128 : UInt8(truncatingIfNeeded: Int(state >> 26) + x / 3 + (y % 17) * 4)
            }
        }
        return GrayImage(width: width, height: height, pixels: px)
    }

    @Test("visits the same windows and finds the same hits as the one-window scan (face, eye and profile cascades)")
    func sameAsScalar() throws {
        let photo = try astronaut()
        let small = photo.resized(width: 256, height: 256)
        let face = small.cropped(Box(x: 50, y: 20, width: 150, height: 150))
        let texture = Self.texture(width: 203, height: 157, seed: 7)
        let all = [DetectionOptions(minNeighbors: 3, minSize: 20), DetectionOptions(scaleFactor: 1.05, minNeighbors: 3, minSize: 30, maxSize: 90)]
        // Two-node trees (the face cascade) on everything; stumps (eyes, profile) on a face and a texture.
        try compare(Cascade(file: cascadeDir + "/" + CascadeSet.frontalFile),
                    [small, photo.resized(width: 173, height: 211), texture, face], options: all)
        try compare(Cascade(file: cascadeDir + "/" + CascadeSet.eyesFile), [face, texture], options: [all[0]])
        try compare(Cascade(file: cascadeDir + "/" + CascadeSet.profileFile), [face.resized(width: 100, height: 100), texture],
                    options: [all[0]], atLeast: 1)
    }

    func compare(_ cascade: Cascade, _ images: [GrayImage], options list: [DetectionOptions], atLeast: Int = 4) throws {
        var found = 0
        for image in images {
            for options in list {
                var deepLanes = 0, deepScalar = 0
                let lanes = cascade.detectRaw(in: image, options: options, deepestStage: &deepLanes, lanes: true)
                let scalar = cascade.detectRaw(in: image, options: options, deepestStage: &deepScalar, lanes: false)
                #expect(lanes == scalar, "\(image.width)×\(image.height)")
                #expect(deepLanes == deepScalar)
                found += scalar.count
            }
        }
        #expect(found >= atLeast, "\(cascade.source)")  // the astronaut's face and eyes give raw hits: the comparison is not vacuous
    }
}
