// swift-tools-version:6.0
import PackageDescription

/// PhotoPreflight: checks, fixes and uploads headshots for talking-photo avatar services.
/// No Swift package dependencies: the toolchain, plus the system's libjpeg(-turbo) and libpng.
let package = Package(
    name: "PhotoPreflight",
    products: [
        .executable(name: "preflight", targets: ["preflight"]),
        .executable(name: "preflight-upload", targets: ["preflight-upload"]),
        .library(name: "PreflightKit", targets: ["PreflightKit"]),
    ],
    targets: [
        // C shims: each owns its library's setjmp/longjmp and never prints.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        .target(name: "PhotoCodec", dependencies: ["CJPEG", "CPNG"]),
        // Cascade face and eye detection in pure Swift, from OpenCV's cascade XML files (data only).
        .target(name: "FaceFinder", dependencies: ["FaceNet"]),
        // A small CNN runtime in pure Swift: ONNX files read with our own protobuf reader, run by
        // our own kernels; YuNet face detection with five landmarks (the model file is data).
        // Optimised in debug builds too: unoptimised kernels are 50× slower, and the tests run
        // the debug build on every photo.
        .target(name: "FaceNet", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "PreflightKit", dependencies: ["PhotoCodec", "FaceFinder"]),
        // HeyGen's upload and photo-avatar API over Foundation's URLSession (HTTPS); only
        // `preflight upload` uses it.
        .target(name: "AvatarUpload", dependencies: ["PreflightKit"]),
        // Argument parsing, exit codes, terminal output and profile selection, shared by the commands.
        .target(name: "CommandLineKit", dependencies: ["PreflightKit", "PhotoCodec", "FaceFinder", "FaceNet"]),
        .executableTarget(name: "preflight", dependencies: ["PreflightKit", "PhotoCodec", "CommandLineKit"]),
        // `preflight upload` runs this helper, so Foundation's networking stays out of the main
        // binary (which starts in a few milliseconds). scripts/build-release.sh links it
        // dynamically beside the statically linked `preflight`.
        .executableTarget(name: "preflight-upload", dependencies: ["PreflightKit", "AvatarUpload", "CommandLineKit"]),
        // Synthesises the fixture photos and the benchmark corpus (not installed; a developer tool).
        .executableTarget(name: "pp-fixtures", dependencies: ["PhotoCodec", "PreflightKit", "FaceFinder", "FaceNet"]),
        // Fuzz targets: libFuzzer drives them in the sanitizer build of scripts/fuzz.sh; an
        // ordinary build replays a corpus through them.
        .executableTarget(name: "pp-fuzz", dependencies: ["PhotoCodec", "PreflightKit"]),
        .testTarget(name: "PhotoCodecTests", dependencies: ["PhotoCodec"]),
        .testTarget(name: "FaceFinderTests", dependencies: ["FaceFinder", "PhotoCodec"]),
        .testTarget(name: "FaceNetTests", dependencies: ["FaceNet", "PhotoCodec"]),
        .testTarget(name: "PreflightKitTests", dependencies: ["PreflightKit", "PhotoCodec", "FaceFinder"]),
        .testTarget(name: "PreflightCLITests", dependencies: ["preflight", "preflight-upload", "pp-fixtures", "pp-fuzz", "PreflightKit", "PhotoCodec"]),
    ],
    swiftLanguageModes: [.v6]
)
