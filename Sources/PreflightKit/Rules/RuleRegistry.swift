/// Every built-in rule, in the order reports list them. Adding a rule = adding it here.
public enum RuleRegistry {
    public static let all: [any Rule.Type] = [
        FormatRule.self,
        DecodeRule.self,
        ResolutionRule.self,
        FileSizeRule.self,
        OrientationRule.self,
        MetadataRule.self,
        FaceCountRule.self,
        FaceSizeRule.self,
        FaceCenteredRule.self,
        FaceCutOffRule.self,
        FramingRule.self,
        FrontalRule.self,
        ExposureRule.self,
        LightingUniformityRule.self,
        SharpnessRule.self,
        BackgroundRule.self,
        ColourRule.self,
    ]

    public static func type(withID id: String) -> (any Rule.Type)? {
        all.first { $0.description.id == id }
    }

    public static var ids: [String] { all.map { $0.description.id } }
}
