import Foundation
import Testing
@testable import PreflightKit

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func load(_ json: String) throws(ConfigurationError) -> Configuration {
    try Configuration.load(json: Array(json.utf8), source: "rules.json")
}

@Suite("rules.json")
struct ConfigurationTests {
    @Test("the shipped rules.json is the built-in configuration, byte for byte")
    func shippedIsBuiltin() throws {
        let shipped = try String(contentsOfFile: repositoryRoot + "/rules.json", encoding: .utf8)
        #expect(shipped == BuiltinRules.json + "\n" || shipped == BuiltinRules.json, "run scripts/embed-rules.sh")
        let parsed = try Configuration.load(path: repositoryRoot + "/rules.json")
        #expect(parsed.profiles == Configuration.builtin.profiles)
        #expect(parsed.defaultProfile == "heygen-photo")
        #expect(Set(parsed.profileNames) == ["heygen-photo", "heygen-avatar-iv", "azure-photo-avatar"])
    }

    @Test("extends inherits and overrides key by key")
    func extendsChain() {
        let iv = Configuration.builtin.profiles["heygen-avatar-iv"]!
        #expect(iv.rules["resolution"]!.options.integer("recommended_short_side") == 720)
        #expect(iv.rules["resolution"]!.options.integer("min_width") == 512)
        #expect(iv.rules["file_size"]!.options.integer("max_bytes") == 10_000_000)
        let azure = Configuration.builtin.profiles["azure-photo-avatar"]!
        #expect(azure.rules["file_size"]!.severity == .warning)
        #expect(azure.rules["resolution"]!.options.integer("recommended_short_side") == 0)
    }

    @Test("missing keys fall back to the rule defaults")
    func defaults() throws {
        let c = try load(#"{"version": 1, "profiles": {"p": {"rules": {"file_size": {"max_bytes": 5}}}}}"#)
        #expect(c.defaultProfile == "p")
        let p = c.profiles["p"]!
        #expect(p.rules["file_size"]!.options.integer("max_bytes") == 5)
        #expect(p.rules["file_size"]!.severity == .error)
        #expect(p.rules["resolution"]!.options.integer("min_width") == 512)
        #expect(p.rules["orientation"]!.severity == .warning)
    }

    @Test("mistakes name their JSON path", arguments: [
        (#"{"version": 1, "profiles": {"heygen-photo": {"rules": {"file_size": {"max_byts": 1}}}}}"#,
         "rules.json: profiles.heygen-photo.rules.file_size.max_byts: unknown key (file_size takes: severity, max_bytes)"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"file_sise": {}}}}}"#,
         "rules.json: profiles.p.rules.file_sise: unknown rule id (rules: format, decode, resolution, file_size, orientation, metadata, face_count, face_size, face_centered, face_cut_off, framing, frontal, exposure, lighting_uniformity, sharpness, background, colour)"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"resolution": {"min_width": "512"}}}}}"#,
         "rules.json: profiles.p.rules.resolution.min_width: expected an integer, found a string"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"resolution": {"min_width": 0}}}}}"#,
         "rules.json: profiles.p.rules.resolution.min_width: must be from 1 to 1000000, found 0"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"resolution": {"min_width": 9223372036854775807}}}}}"#,
         "rules.json: profiles.p.rules.resolution.min_width: must be from 1 to 1000000, found 9223372036854775807"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"face_centered": {"fail_percent": 101}}}}}"#,
         "rules.json: profiles.p.rules.face_centered.fail_percent: must be from 0 to 100, found 101"),
        (#"{"version": 1, "profiles": {"p": {"rules": {"orientation": {"severity": "fatal"}}}}}"#,
         "rules.json: profiles.p.rules.orientation.severity: expected one of off, info, warning, error; found \"fatal\""),
        (#"{"version": 1, "profiles": {"p": {"rules": {"format": {"accepted": ["jpeg", "docx"]}}}}}"#,
         "rules.json: profiles.p.rules.format.accepted[1]: expected an image format name (jpeg, png, webp, …)"),
        (#"{"version": 2, "profiles": {"p": {}}}"#, "rules.json: version: unsupported version 2; this preflight reads version 1"),
        (#"{"profiles": {"p": {}}}"#, "rules.json: version: missing (write \"version\": 1)"),
        (#"{"version": 1, "profiles": {"a": {"extends": "b"}, "b": {"extends": "a"}}, "default_profile": "a"}"#,
         "rules.json: profiles.a.extends: extends forms a cycle: a → b → a"),
        (#"{"version": 1, "profiles": {"a": {"extends": "zz"}}}"#, "rules.json: profiles.a.extends: unknown profile \"zz\" (profiles: a)"),
        (#"{"version": 1, "profiles": {"a": {}, "b": {}}, "default_profile": "c"}"#,
         "rules.json: default_profile: unknown profile \"c\" (profiles: a, b)"),
        (#"{"version": 1, "profiles": {"a": {"rule": {}}}}"#, "rules.json: profiles.a.rule: unknown key (expected extends, description, rules)"),
        (#"{"version": 1, "profile": {}}"#, "rules.json: profile: unknown key (expected $schema, version, default_profile, profiles)"),
        (#"[1, 2]"#, "rules.json: expected an object at the top level, found an array"),
    ])
    func errors(_ json: String, _ expected: String) {
        do {
            _ = try load(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description == expected)
        }
    }

    /// Before each profile was resolved once, 3,000 chained profiles took 11.6 s and 20,000 did
    /// not finish in minutes (each profile walked its whole chain, checking for cycles with a
    /// linear search at every step).
    @Test("a chain of 20,000 profiles resolves, each profile once; a long cycle is named", .timeLimit(.minutes(1)))
    func longExtendsChains() throws {
        let n = 20_000
        var profiles = (0..<(n - 1)).map { #""p\#($0)": {"extends": "p\#($0 + 1)"}"# }
        profiles.append(#""p\#(n - 1)": {"description": "the top", "rules": {"file_size": {"max_bytes": 123}}}"#)
        let c = try load(#"{"version": 1, "default_profile": "p0", "profiles": {"# + profiles.joined(separator: ", ") + "}}")
        #expect(c.profiles.count == n)
        #expect(c.profiles["p0"]?.rules["file_size"]?.options.values["max_bytes"] == .integer(123))
        #expect(c.profiles["p0"]?.summary == "the top")
        var cycle = (0..<4999).map { #""c\#($0)": {"extends": "c\#($0 + 1)"}"# }
        cycle.append(#""c4999": {"extends": "c0"}"#)
        do {
            _ = try load(#"{"version": 1, "default_profile": "c0", "profiles": {"# + cycle.joined(separator: ", ") + "}}")
            Issue.record("a cycle was accepted")
        } catch {
            #expect(error.description.hasPrefix("rules.json: profiles.c0.extends: extends forms a cycle: c0 → c1 → c2"))
            #expect(error.description.hasSuffix("c4999 → c0"))
        }
    }

    @Test("broken JSON is a clear error, not a crash")
    func brokenJSON() {
        do {
            _ = try load(#"{"version": 1, "profiles": "#)
            Issue.record("accepted broken JSON")
        } catch {
            #expect(error.description.hasPrefix("rules.json: not valid JSON"))
        }
    }

    @Test("the shipped schema is the one the registry generates")
    func schemaInSync() throws {
        let shipped = try String(contentsOfFile: repositoryRoot + "/rules.schema.json", encoding: .utf8)
        #expect(shipped == RulesSchema.json(), "regenerate with: preflight rules --schema > rules.schema.json")
    }

    @Test("the shipped rules.json validates against the schema; broken files do not")
    func schemaValidates() throws {
        let schema = try JSONValue.parse(Array(RulesSchema.json().utf8))
        let shipped = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/rules.json"))))
        #expect(SchemaValidator(schema).errors(shipped).isEmpty, "\(SchemaValidator(schema).errors(shipped))")
        let broken: [String] = [
            #"{"version": 1, "profiles": {"p": {"rules": {"file_size": {"max_byts": 1}}}}}"#,
            #"{"version": 1, "profiles": {"p": {"rules": {"resolution": {"min_width": "512"}}}}}"#,
            #"{"version": 1, "profiles": {"p": {"rules": {"orientation": {"severity": "fatal"}}}}}"#,
            #"{"version": 2, "profiles": {"p": {}}}"#,
            #"{"version": 1, "profiles": {"p": {"rulez": {}}}}"#,
        ]
        for json in broken {
            let value = try JSONValue.parse(Array(json.utf8))
            #expect(!SchemaValidator(schema).errors(value).isEmpty, "schema accepted \(json)")
            #expect(throws: ConfigurationError.self) { try load(json) }
        }
    }
}

/// A JSON Schema validator for the keywords our schema uses: type, enum, const, properties,
/// additionalProperties, required, minimum, minItems, minProperties, items, $ref (#/$defs/…).
struct SchemaValidator {
    let root: JSONValue
    init(_ root: JSONValue) { self.root = root }

    func errors(_ value: JSONValue) -> [String] { check(value, root, "$") }

    private func check(_ v: JSONValue, _ s: JSONValue, _ path: String) -> [String] {
        guard case .object(let schema) = s else { return [] }
        var out: [String] = []
        if case .string(let ref)? = schema["$ref"] {
            let name = String(ref.dropFirst("#/$defs/".count))
            if case .object(let defs)? = root.objectValue?["$defs"], let target = defs[name] {
                out += check(v, target, path)
            } else {
                out.append("\(path): unresolved \(ref)")
            }
        }
        if case .string(let type)? = schema["type"] {
            let ok: Bool
            switch (type, v) {
            case ("object", .object), ("array", .array), ("string", .string), ("integer", .integer), ("boolean", .bool): ok = true
            default: ok = false
            }
            if !ok { out.append("\(path): expected \(type)") }
        }
        if case .array(let options)? = schema["enum"], !options.contains(v) { out.append("\(path): not in enum") }
        if let c = schema["const"], c != v { out.append("\(path): not the constant") }
        if case .integer(let m)? = schema["minimum"], case .integer(let n) = v, n < m { out.append("\(path): below minimum") }
        if case .array(let items) = v {
            if case .integer(let m)? = schema["minItems"], items.count < m { out.append("\(path): too few items") }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { out += check(item, itemSchema, "\(path)[\(i)]") }
            }
        }
        if case .object(let object) = v {
            if case .integer(let m)? = schema["minProperties"], object.count < m { out.append("\(path): too few properties") }
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where object[key] == nil { out.append("\(path).\(key): required") }
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (key, child) in object {
                if let p = properties[key] {
                    out += check(child, p, "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] {
                    if extra == .bool(false) { out.append("\(path).\(key): not allowed") } else { out += check(child, extra, "\(path).\(key)") }
                }
            }
        }
        return out
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test("values, escapes and surrogate pairs")
    func values() throws {
        let v = try parse(#" {"a": [1, -2.5e1, true, false, null], "s": "q\"\\\/\n\u00e9\ud83d\ude00", "o": {}} "#)
        #expect(v == .object([
            "a": .array([.integer(1), .number(-25), .bool(true), .bool(false), .null]),
            "s": .string("q\"\\/\né😀"), "o": .object([:]),
        ]))
        #expect(try parse("\u{FEFF}[]") == .array([]))
    }

    @Test("errors name the line and column", arguments: [
        ("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: expected ':' after the key \"b\""),
        ("{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key \"a\""),
        ("[1, 2", "line 1, column 6: unexpected end of the document; an array is not closed"),
        ("[01]", "line 1, column 2: a number has a leading zero"),
        ("\"abc", "line 1, column 1: a string is not closed"),
        ("{} x", "line 1, column 4: unexpected 'x' after the end of the document"),
        ("[1e999]", "line 1, column 2: the number 1e999 is out of range"),
        ("\"\\x\"", "line 1, column 2: unknown escape \\x in a string"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func depth() {
        #expect(throws: JSONSyntaxError.self) { try parse(String(repeating: "[", count: 100_000)) }
        #expect((try? parse(String(repeating: "[", count: 200) + String(repeating: "]", count: 200))) != nil)
    }

    @Test("pretty printing round-trips and sorts keys")
    func pretty() throws {
        let v: JSONValue = ["b": [1, "x\u{01}"], "a": [:], "c": []]
        #expect(v.pretty() == "{\n  \"a\" : {\n\n  },\n  \"b\" : [\n    1,\n    \"x\\u0001\"\n  ],\n  \"c\" : [\n\n  ]\n}")
        #expect(try parse(v.pretty()) == v)
    }
}
