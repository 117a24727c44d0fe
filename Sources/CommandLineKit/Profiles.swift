import FaceFinder
import FaceNet
import PhotoCodec
import PreflightKit

/// The rules file given with --rules (or the built-in one).
public func loadConfiguration(_ path: FilePath?) throws(UsageError) -> Configuration {
    guard let path else { return Configuration.builtin }
    do {
        return try Configuration.load(path: path)
    } catch {
        throw UsageError(error.description)
    }
}

public func selectProfile(_ configuration: Configuration, _ name: String?) throws(UsageError) -> Profile {
    let name = name ?? configuration.defaultProfile
    guard let profile = configuration.profiles[name] else {
        throw UsageError("unknown profile \"\(name)\" (profiles in \(configuration.source): \(configuration.profileNames.joined(separator: ", ")))")
    }
    return profile
}

/// The files the paths name (folders walked); a path that does not exist is a usage error.
public func collectInputs(_ paths: [FilePath]) throws(UsageError) -> InputCollector.Collected {
    let collected = InputCollector().collect(paths)
    if !collected.missing.isEmpty {
        throw UsageError(collected.missing.map { "no such file or folder: \($0.display)" }.joined(separator: "\n"))
    }
    return collected
}

/// The face finder, when the profile's rules need faces: the YuNet model and the cascades read
/// once, shared by every worker. `detector` "yunet" (the default) or "cascade" (the cascades
/// alone, as before the network). Missing data is a setup error (exit 2) naming the command that
/// fetches it, never a silent skip of the face rules.
public func faceFinder(for profile: Profile, headerOnly: Bool = false, cascades: String?, models: String? = nil,
                       detector: String? = nil, hint: String = "") throws(UsageError) -> FaceFinder? {
    guard Checker(profile: profile, headerOnly: headerOnly).needsFaces else { return nil }
    let useNetwork: Bool
    switch detector ?? "yunet" {
    case "yunet": useNetwork = true
    case "cascade": useNetwork = false
    default: throw UsageError("--detector takes yunet or cascade, not \"\(printable(detector ?? ""))\"")
    }
    let set: CascadeSet
    do {
        set = try CascadeSet.load(explicitDirectory: cascades)
    } catch {
        throw UsageError("\(error.message)\n  (looked in: \(error.path))" + (hint.isEmpty ? "" : "\n  " + hint))
    }
    guard useNetwork else { return FaceFinder(cascades: set) }
    do {
        return FaceFinder(cascades: set, network: try ModelStore.loadYuNet(explicit: models))
    } catch {
        throw UsageError(error.message + (hint.isEmpty ? "" : "\n  " + hint))
    }
}

/// The memory budget `--memory-limit MIB` sets (default `MemoryBudget.defaultLimit`).
public func memoryBudget(_ a: Arguments) throws(UsageError) -> MemoryBudget {
    let mib = try a.integer("--memory-limit", in: OptionRange.memoryLimit)
    return MemoryBudget(limit: mib.map { $0 << 20 } ?? MemoryBudget.defaultLimit)
}
