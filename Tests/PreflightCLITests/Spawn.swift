import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a spawned program did.
struct Spawned {
    var status: Int32
    /// The signal that ended it, if one did.
    var signal: Int32?
    var stdout: [UInt8]
    var stderr: [UInt8]
    /// Peak resident memory of the program, in KiB: what preflight reports of itself (VmHWM),
    /// else wait4's rusage. (posix_spawn shares the test process's memory until the exec, and
    /// Linux counts that peak into the child's ru_maxrss: a test that held 300 MB would make every
    /// program spawned after it look as large.)
    var maxRSSKiB: Int

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `argv` (raw bytes, so a file name that is not UTF-8 can be passed, which Foundation's
/// `Process` cannot do) from the repository root with a fixed environment, and measures its
/// peak memory.
func spawn(_ argv: [[UInt8]], environment: [String: String] = [:], in directory: String = root) throws -> Spawned {
    let dir = FileManager.default.temporaryDirectory.path
    let outPath = dir + "/spawn-out-\(UUID())", errPath = dir + "/spawn-err-\(UUID())"
    defer {
        unlink(outPath)
        unlink(errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let peakPath = dir + "/spawn-peak-\(UUID())"
    defer { unlink(peakPath) }
    var env = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PREFLIGHT_PEAK_RSS_FILE=\(peakPath)"] + modelEnvironment.map { "\($0.key)=\($0.value)" }
    for (k, v) in environment { env.append("\(k)=\(v)") }
    // `sh` changes folder and execs the program: same process, so wait4 measures the program.
    let command = [Array("/bin/sh".utf8), Array("-c".utf8), Array("cd \"$0\" && exec \"$@\"".utf8), Array(directory.utf8)] + argv
    let cArgs: [UnsafeMutablePointer<CChar>?] = command.map { bytes in
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        return p
    } + [nil]
    let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer {
        cArgs.forEach { $0?.deallocate() }
        cEnv.forEach { free($0) }
    }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, cArgs[0]!, &actions, nil, cArgs, cEnv)
    guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let exited = status & 0x7F == 0
    return Spawned(status: exited ? (status >> 8) & 0xFF : -1, signal: exited ? nil : status & 0x7F,
                   stdout: [UInt8](try Data(contentsOf: URL(fileURLWithPath: outPath))),
                   stderr: [UInt8](try Data(contentsOf: URL(fileURLWithPath: errPath))),
                   maxRSSKiB: (try? String(contentsOfFile: peakPath, encoding: .utf8))
                       .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? Int(usage.ru_maxrss))
}

func spawn(_ args: [String], environment: [String: String] = [:], in directory: String = root) throws -> Spawned {
    try spawn(args.map { Array($0.utf8) }, environment: environment, in: directory)
}

/// A program built beside `preflight` (pp-fixtures, preflight-upload).
func sibling(_ name: String) -> String {
    URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent(name).path
}
