import PhotoCodec

/// Builds the JSON Schema (draft 2020-12) of rules.json from the rule registry, so the schema can
/// never drift from what the loader accepts. `preflight rules --schema` prints it.
public enum RulesSchema {
    public static func json() -> String {
        var ruleProperties: [String: JSONValue] = [:]
        for type in RuleRegistry.all {
            let d = type.description
            var props: [String: JSONValue] = ["severity": ["$ref": "#/$defs/severity"]]
            for option in d.options {
                var p: [String: JSONValue] = ["description": .string(option.summary + " Default: \(option.defaultValue).")]
                switch option.kind {
                case .integer(let minimum, let maximum):
                    p["type"] = "integer"
                    p["minimum"] = .integer(minimum)
                    p["maximum"] = .integer(maximum)
                case .severity:
                    p["$ref"] = "#/$defs/severity"
                case .formats:
                    p["type"] = "array"
                    p["minItems"] = 1
                    p["items"] = ["enum": .array(ImageFormat.allCases.filter(\.isImage).map { .string($0.rawValue) })]
                }
                props[option.key] = .object(p)
            }
            ruleProperties[d.id] = [
                "type": "object", "description": .string(d.summary), "additionalProperties": false,
                "properties": .object(props),
            ]
        }
        let schema: [String: JSONValue] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "PhotoPreflight rules",
            "type": "object",
            "required": ["version", "profiles"],
            "additionalProperties": false,
            "properties": [
                "$schema": ["type": "string"],
                "version": ["const": .integer(Configuration.currentVersion)],
                "default_profile": ["type": "string"],
                "profiles": [
                    "type": "object", "minProperties": 1,
                    "additionalProperties": ["$ref": "#/$defs/profile"],
                ],
            ],
            "$defs": [
                "severity": ["enum": .array(ConfiguredSeverity.allCases.map { .string($0.rawValue) })],
                "profile": [
                    "type": "object", "additionalProperties": false,
                    "properties": [
                        "extends": ["type": "string"],
                        "description": ["type": "string"],
                        "rules": ["type": "object", "additionalProperties": false, "properties": .object(ruleProperties)],
                    ],
                ],
            ],
        ]
        return JSONValue.object(schema).pretty() + "\n"
    }
}
