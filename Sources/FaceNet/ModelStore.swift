#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the face model files are found: `--models DIR` (then only there), `$PREFLIGHT_MODELS`,
/// the user's data folder (`$XDG_DATA_HOME/preflight/models`, by default
/// `~/.local/share/preflight/models`, where scripts/install-deps.sh puts them), then the
/// system's (`/usr/local/share/preflight/models`, `/usr/share/preflight/models`).
public enum ModelStore {
    public static let fetchCommand = "scripts/install-deps.sh (or scripts/fetch-models.sh)"

    public static func searchDirectories(explicit: String?) -> [String] {
        if let explicit { return [explicit] }
        var dirs: [String] = []
        if let env = getenv("PREFLIGHT_MODELS") { dirs.append(String(cString: env)) }
        if let xdg = getenv("XDG_DATA_HOME"), xdg.pointee != 0 {
            dirs.append(String(cString: xdg) + "/preflight/models")
        } else if let home = getenv("HOME") {
            dirs.append(String(cString: home) + "/.local/share/preflight/models")
        }
        dirs += ["/usr/local/share/preflight/models", "/usr/share/preflight/models"]
        return dirs
    }

    /// The path of `file` in the first directory that has it readable.
    public static func locate(_ file: String, explicit: String?) throws(ModelError) -> String {
        let dirs = searchDirectories(explicit: explicit)
        for dir in dirs where access(dir + "/" + file, R_OK) == 0 { return dir + "/" + file }
        throw ModelError("the face model \(file) was not found (looked in \(dirs.joined(separator: ", "))). "
                         + "Fetch it with \(fetchCommand), or point --models DIR or PREFLIGHT_MODELS at a folder that has it")
    }

    /// YuNet from the first directory that has it.
    public static func loadYuNet(explicit: String? = nil) throws(ModelError) -> YuNet {
        let path = try locate(YuNet.modelFileName, explicit: explicit)
        do {
            return try YuNet(file: path)
        } catch {
            throw ModelError("\(path): \(error.message)")
        }
    }
}
