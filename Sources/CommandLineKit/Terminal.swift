#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// The edges that touch the terminal: output streams, colour and progress decisions.
public enum Terminal {
    public static func out(_ text: String) { write(fd: 1, text) }
    public static func err(_ text: String) { write(fd: 2, text) }

    /// Writes all of `text` to a file descriptor (unbuffered, so stdout and stderr interleave correctly).
    private static func write(fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                #if canImport(Glibc)
                Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                #else
                Darwin.write(fd, raw.baseAddress! + done, raw.count - done)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                return  // a closed pipe: nothing more can be said
            }
            done += n
        }
        bytes.removeAll()
    }

    public static var stdoutIsTTY: Bool { isatty(1) == 1 }
    public static var stderrIsTTY: Bool { isatty(2) == 1 }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Colour on a terminal only, never with NO_COLOR set (any value) or TERM=dumb.
    public static var colorAllowed: Bool {
        stdoutIsTTY && environment("NO_COLOR") == nil && environment("TERM") != "dumb"
    }

    /// The program's arguments (without its name) as the bytes the kernel passed: a file name
    /// that is not UTF-8 survives (`CommandLine.arguments` would repair it to U+FFFD).
    public static func rawArguments() -> [FilePath] {
        (1..<Int(CommandLine.argc)).compactMap { i in CommandLine.unsafeArgv[i].map { FilePath(cString: $0) } }
    }

    public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
