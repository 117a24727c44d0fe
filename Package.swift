// swift-tools-version:6.0
import PackageDescription

/// PhotoPreflight: checks, fixes and uploads headshots for talking-photo avatar services.
/// No Swift package dependencies: the toolchain, plus the system's libjpeg(-turbo) and libpng.
/// See the FaceNet targets below.
let optimisedInDebug = SwiftSetting.unsafeFlags(["-O"], .when(configuration: .debug))
let unchecked = SwiftSetting.unsafeFlags(["-Ounchecked"])
#if arch(x86_64)
let haswell: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"]), .define("FACENET_AVX2")]
#else
let haswell: [SwiftSetting] = []
#endif

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
        // the debug build on every photo. The kernels are built twice, for the x86-64 baseline
        // and for Haswell (AVX2); FaceNet picks one at run time (CCPUFeatures asks the CPU).
        .target(name: "FaceNet", dependencies: ["FaceNetKernels", "FaceNetKernelsAVX2", "CCPUFeatures"], swiftSettings: [optimisedInDebug]),
        // The kernels are built -Ounchecked (no overflow traps in their index arithmetic): every
        // size and offset they use was checked when the plan was compiled.
        .target(name: "FaceNetKernels", swiftSettings: [unchecked]),
        .target(name: "FaceNetKernelsAVX2", swiftSettings: [unchecked] + haswell),
        .target(name: "CCPUFeatures"),
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
        .executableTarget(name: "pp-fuzz", dependencies: ["PhotoCodec", "PreflightKit", "FaceNet"]),
        .testTarget(name: "PhotoCodecTests", dependencies: ["PhotoCodec"]),
        .testTarget(name: "FaceFinderTests", dependencies: ["FaceFinder", "PhotoCodec"]),
        .testTarget(name: "FaceNetTests", dependencies: ["FaceNet", "PhotoCodec"]),
        .testTarget(name: "PreflightKitTests", dependencies: ["PreflightKit", "PhotoCodec", "FaceFinder"]),
        .testTarget(name: "PreflightCLITests", dependencies: ["preflight", "preflight-upload", "pp-fixtures", "pp-fuzz", "PreflightKit", "PhotoCodec"]),
    ],
    swiftLanguageModes: [.v6]
)
