// swift-tools-version:6.0
import PackageDescription

/// PhotoPreflight: checks, fixes and uploads headshots for talking-photo avatar services.
/// No Swift package dependencies: the toolchain, plus the system's libjpeg(-turbo) and libpng.
let package = Package(
    name: "PhotoPreflight",
    products: [
        .executable(name: "preflight", targets: ["preflight"]),
        .library(name: "PreflightKit", targets: ["PreflightKit"]),
    ],
    targets: [
        // C shims: each owns its library's setjmp/longjmp and never prints.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        .target(name: "PhotoCodec", dependencies: ["CJPEG", "CPNG"]),
        // Cascade face and eye detection in pure Swift, from OpenCV's cascade XML files (data only).
        .target(name: "FaceFinder"),
        .target(name: "PreflightKit", dependencies: ["PhotoCodec", "FaceFinder"]),
        .executableTarget(name: "preflight", dependencies: ["PreflightKit"]),
        // Synthesises the fixture photos and the benchmark corpus (not installed; a developer tool).
        .executableTarget(name: "pp-fixtures", dependencies: ["PhotoCodec", "PreflightKit", "FaceFinder"]),
        .testTarget(name: "PhotoCodecTests", dependencies: ["PhotoCodec"]),
        .testTarget(name: "FaceFinderTests", dependencies: ["FaceFinder", "PhotoCodec"]),
        .testTarget(name: "PreflightKitTests", dependencies: ["PreflightKit", "PhotoCodec"]),
        .testTarget(name: "PreflightCLITests", dependencies: ["preflight", "PreflightKit", "PhotoCodec"]),
    ],
    swiftLanguageModes: [.v6]
)
