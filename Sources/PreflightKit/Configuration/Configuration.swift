import PhotoCodec

/// One rule as a profile configures it: severity and every option, defaults filled in.
public struct RuleSettings: Sendable, Equatable {
    public var severity: ConfiguredSeverity
    public var options: RuleOptions
}

/// A named set of rule settings (e.g. `heygen-photo`), `extends` already resolved.
public struct Profile: Sendable, Equatable {
    public var name: String
    public var summary: String
    /// Settings of every registered rule, keyed by rule id.
    public var rules: [String: RuleSettings]

    /// The configured rules that are not off, in registry order.
    public func activeRules() -> [(rule: any Rule, severity: ConfiguredSeverity)] {
        RuleRegistry.all.compactMap { type in
            guard let settings = rules[type.description.id], settings.severity != .off else { return nil }
            return (type.init(options: settings.options), settings.severity)
        }
    }

    /// The profile with `file_size` limited to `maxBytes` (and on, at error, if it was off): what
    /// `fix --max-bytes` checks against, so a photo over that budget is a finding to fix.
    public func limitingFileSize(to maxBytes: Int) -> Profile {
        var p = self
        let id = FileSizeRule.description.id
        var settings = p.rules[id] ?? RuleSettings(severity: .error, options: RuleOptions(defaultsOf: FileSizeRule.description))
        settings.options.values["max_bytes"] = .integer(maxBytes)
        if settings.severity == .off { settings.severity = .error }
        p.rules[id] = settings
        return p
    }
}

/// rules.json: a version, named profiles and the default profile.
///
/// Missing keys fall back to each rule's built-in defaults key by key; unknown keys, unknown
/// rule ids and wrong types are errors naming the JSON path.
public struct Configuration: Sendable, Equatable {
    public static let currentVersion = 1
    public var defaultProfile: String
    public var profiles: [String: Profile]
    /// The profiles in the order the file lists them... JSON objects have no order, so: sorted.
    public var profileNames: [String] { profiles.keys.sorted() }
    public var source: String

    /// The rules compiled into the tool; the repository's rules.json holds the same.
    public static let builtin: Configuration = {
        do {
            return try load(json: Array(BuiltinRules.json.utf8), source: "built-in rules")
        } catch {
            preconditionFailure("the built-in rules are invalid: \(error)")
        }
    }()

    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        try load(path: FilePath(path))
    }

    public static func load(path: FilePath) throws(ConfigurationError) -> Configuration {
        let bytes: [UInt8]
        do throws(ByteSourceError) {
            let file = try FileByteSource(path: path)
            guard file.count <= 16 << 20 else {
                throw ByteSourceError(path: path.display, reason: "\(file.count) bytes; a rules file is at most 16 MiB")
            }
            bytes = try file.readAll()
        } catch {
            throw ConfigurationError(source: path.display, path: "", message: "cannot read the rules file (\(error.reason))")
        }
        return try load(json: bytes, source: path.display)
    }

    public static func load(json: [UInt8], source: String) throws(ConfigurationError) -> Configuration {
        func fail(_ path: String, _ message: String) -> ConfigurationError {
            ConfigurationError(source: source, path: path, message: message)
        }
        let root: JSONValue
        do {
            root = try JSONValue.parse(json)
        } catch {
            throw fail("", "not valid JSON: \(error)")
        }
        guard case .object(let top) = root else { throw fail("", "expected an object at the top level, found \(root.kindName)") }
        for key in top.keys.sorted() where !["$schema", "version", "default_profile", "profiles"].contains(key) {
            throw fail(key, "unknown key (expected $schema, version, default_profile, profiles)")
        }
        guard let version = top["version"] else { throw fail("version", "missing (write \"version\": 1)") }
        guard case .integer(let v) = version, v == currentVersion else {
            throw fail("version", "unsupported version \(describe(version)); this preflight reads version \(currentVersion)")
        }
        guard case .object(let rawProfiles)? = top["profiles"], !rawProfiles.isEmpty else {
            throw fail("profiles", "missing or not an object of named profiles")
        }
        // Parse each profile's own overrides, then resolve extends chains.
        var overrides: [String: (extends: String?, summary: String?, rules: [String: RuleOverride])] = [:]
        for (name, value) in rawProfiles {
            let path = "profiles.\(name)"
            guard case .object(let body) = value else { throw fail(path, "expected an object, found \(value.kindName)") }
            var extends: String?
            var summary: String?
            var rules: [String: RuleOverride] = [:]
            for key in body.keys.sorted() {
                let v = body[key]!
                switch key {
                case "extends":
                    guard case .string(let s) = v else { throw fail("\(path).extends", "expected a profile name, found \(v.kindName)") }
                    guard rawProfiles[s] != nil else {
                        throw fail("\(path).extends", "unknown profile \"\(s)\" (profiles: \(rawProfiles.keys.sorted().joined(separator: ", ")))")
                    }
                    extends = s
                case "description":
                    guard case .string(let s) = v else { throw fail("\(path).description", "expected a string, found \(v.kindName)") }
                    summary = s
                case "rules":
                    guard case .object(let ruleMap) = v else { throw fail("\(path).rules", "expected an object, found \(v.kindName)") }
                    for id in ruleMap.keys.sorted() {
                        rules[id] = try parseRule(id: id, value: ruleMap[id]!, path: "\(path).rules.\(id)", fail: fail)
                    }
                default:
                    throw fail("\(path).\(key)", "unknown key (expected extends, description, rules)")
                }
            }
            overrides[name] = (extends, summary, rules)
        }
        // Each profile is resolved once, from its parent's resolved settings: a chain of n
        // profiles costs n steps, not n² or n³. The walk up a chain uses its own stack (a chain can
        // be thousands long) and marks the profiles on it, so a cycle is found where it closes.
        var defaults: [String: RuleSettings] = [:]
        for type in RuleRegistry.all {
            let d = type.description
            defaults[d.id] = RuleSettings(severity: d.defaultSeverity, options: RuleOptions(defaultsOf: d))
        }
        var profiles: [String: Profile] = [:]
        var onPath = Set<String>()
        for name in rawProfiles.keys.sorted() where profiles[name] == nil {
            var path: [String] = [name]
            onPath = [name]
            while let parent = overrides[path.last!]?.extends, profiles[parent] == nil {
                if onPath.contains(parent) {
                    throw fail("profiles.\(name).extends", "extends forms a cycle: \((path + [parent]).joined(separator: " → "))")
                }
                path.append(parent)
                onPath.insert(parent)
            }
            for member in path.reversed() {
                let own = overrides[member]!
                let base = own.extends.flatMap { profiles[$0] }
                var settings = base?.rules ?? defaults
                for (id, o) in own.rules {
                    if let s = o.severity { settings[id]!.severity = s }
                    for (k, v) in o.options { settings[id]!.options.values[k] = v }
                }
                profiles[member] = Profile(name: member, summary: own.summary ?? base?.summary ?? "", rules: settings)
            }
        }
        let defaultProfile: String
        switch top["default_profile"] {
        case nil:
            guard profiles.count == 1 else { throw fail("default_profile", "missing (several profiles are defined)") }
            defaultProfile = profiles.keys.first!
        case .string(let s)?:
            guard profiles[s] != nil else {
                throw fail("default_profile", "unknown profile \"\(s)\" (profiles: \(profiles.keys.sorted().joined(separator: ", ")))")
            }
            defaultProfile = s
        case let other?:
            throw fail("default_profile", "expected a profile name, found \(other.kindName)")
        }
        return Configuration(defaultProfile: defaultProfile, profiles: profiles, source: source)
    }

    struct RuleOverride {
        var severity: ConfiguredSeverity?
        var options: [String: OptionValue] = [:]
    }

    private static func parseRule(id: String, value: JSONValue, path: String,
                                  fail: (String, String) -> ConfigurationError) throws(ConfigurationError) -> RuleOverride {
        guard let type = RuleRegistry.type(withID: id) else {
            throw fail(path, "unknown rule id (rules: \(RuleRegistry.ids.joined(separator: ", ")))")
        }
        let d = type.description
        guard case .object(let body) = value else { throw fail(path, "expected an object, found \(value.kindName)") }
        var result = RuleOverride()
        let keys = ["severity"] + d.options.map(\.key)
        for key in body.keys.sorted() {
            let v = body[key]!
            if key == "severity" {
                result.severity = try parseSeverity(v, path: "\(path).severity", fail: fail)
                continue
            }
            guard let spec = d.options.first(where: { $0.key == key }) else {
                throw fail("\(path).\(key)", "unknown key (\(id) takes: \(keys.joined(separator: ", ")))")
            }
            let optionPath = "\(path).\(key)"
            switch spec.kind {
            case .integer(let minimum, let maximum):
                guard case .integer(let n) = v else { throw fail(optionPath, "expected an integer, found \(v.kindName)") }
                guard n >= minimum, n <= maximum else {
                    throw fail(optionPath, "must be from \(minimum) to \(maximum), found \(n)")
                }
                result.options[key] = .integer(n)
            case .severity:
                result.options[key] = .severity(try parseSeverity(v, path: optionPath, fail: fail))
            case .formats:
                guard case .array(let items) = v, !items.isEmpty else {
                    throw fail(optionPath, "expected a non-empty array of formats, found \(v.kindName)")
                }
                var formats: [ImageFormat] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item, let f = ImageFormat(rawValue: s), f.isImage else {
                        throw fail("\(optionPath)[\(i)]", "expected an image format name (jpeg, png, webp, …)")
                    }
                    formats.append(f)
                }
                result.options[key] = .formats(formats)
            }
        }
        return result
    }

    private static func parseSeverity(_ v: JSONValue, path: String,
                                      fail: (String, String) -> ConfigurationError) throws(ConfigurationError) -> ConfiguredSeverity {
        guard case .string(let s) = v, let severity = ConfiguredSeverity(rawValue: s) else {
            throw fail(path, "expected one of off, info, warning, error; found \(describe(v))")
        }
        return severity
    }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "\"\(s)\""
        case .integer(let n): "\(n)"
        default: v.kindName
        }
    }
}
