import PreflightKit

/// The rules file given with --rules (or the built-in one).
public func loadConfiguration(_ path: String?) throws(UsageError) -> Configuration {
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
