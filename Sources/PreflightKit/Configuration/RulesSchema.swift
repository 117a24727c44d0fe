import Foundation
import PhotoCodec

/// Builds the JSON Schema (draft 2020-12) of rules.json from the rule registry, so the schema can
/// never drift from what the loader accepts. `preflight rules --schema` prints it.
public enum RulesSchema {
    public static func json() -> String {
        var ruleProperties: [String: Any] = [:]
        for type in RuleRegistry.all {
            let d = type.description
            var props: [String: Any] = ["severity": ["$ref": "#/$defs/severity"]]
            for option in d.options {
                var p: [String: Any] = ["description": option.summary + " Default: \(option.defaultValue)."]
                switch option.kind {
                case .integer(let minimum):
                    p["type"] = "integer"
                    p["minimum"] = minimum
                case .severity:
                    p["$ref"] = "#/$defs/severity"
                case .formats:
                    p["type"] = "array"
                    p["minItems"] = 1
                    p["items"] = ["enum": ImageFormat.allCases.filter(\.isImage).map(\.rawValue)]
                }
                props[option.key] = p
            }
            ruleProperties[d.id] = [
                "type": "object", "description": d.summary, "additionalProperties": false, "properties": props,
            ]
        }
        let schema: [String: Any] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "PhotoPreflight rules",
            "type": "object",
            "required": ["version", "profiles"],
            "additionalProperties": false,
            "properties": [
                "$schema": ["type": "string"],
                "version": ["const": Configuration.currentVersion],
                "default_profile": ["type": "string"],
                "profiles": [
                    "type": "object", "minProperties": 1,
                    "additionalProperties": ["$ref": "#/$defs/profile"],
                ],
            ],
            "$defs": [
                "severity": ["enum": ConfiguredSeverity.allCases.map(\.rawValue)],
                "profile": [
                    "type": "object", "additionalProperties": false,
                    "properties": [
                        "extends": ["type": "string"],
                        "description": ["type": "string"],
                        "rules": ["type": "object", "additionalProperties": false, "properties": ruleProperties],
                    ],
                ],
            ],
        ]
        let data = try! JSONSerialization.data(withJSONObject: schema, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
