#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to standard error.
func complain(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}

#if FUZZING
/// libFuzzer's driver, from its runtime (scripts/fuzz.sh builds with -sanitize=fuzzer,address and
/// -DFUZZING). Called from our own `main`: SwiftPM names every executable's entry point itself, so
/// libFuzzer's `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The target is named by PP_FUZZ_TARGET.
let fuzzTarget: @Sendable ([UInt8]) -> Void = {
    let name = getenv("PP_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let t = FuzzTargets.all[name] else {
        complain("pp-fuzz: set PP_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted().joined(separator: ", "))\n")
        exit(2)
    }
    return t
}()

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let code = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzTarget(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        }
        exit(code)
    }
}
#else
/// Without the fuzzer: `pp-fuzz TARGET FILE_OR_FOLDER...` runs each file through the target once
/// (replaying a corpus or a crash artifact in an ordinary build).
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 3, let target = FuzzTargets.all[args[1]] else {
            complain("usage: pp-fuzz TARGET FILE_OR_FOLDER... (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))\n")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst(2) {
            for file in files(path) {
                guard let f = fopen(file, "rb") else { continue }
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = fread(&buffer, 1, buffer.count, f)
                    if n <= 0 { break }
                    data += buffer[0..<n]
                }
                fclose(f)
                target(data)
                count += 1
            }
        }
        print("\(count) inputs ran through \(args[1])")
    }

    static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            out.append(path + "/" + name)
        }
        return out.sorted()
    }
}
#endif
