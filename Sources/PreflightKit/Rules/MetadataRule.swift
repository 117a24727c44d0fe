/// `metadata`: no location or identifying data travels with the photo.
public struct MetadataRule: Rule {
    public static let description = RuleDescription(
        id: "metadata",
        summary: "No GPS location or camera serial number is embedded in the file.",
        rationale: """
            Uploaded photos are stored by the service and may be shared; EXIF GPS coordinates reveal where \
            a photo was taken (often a home), serial numbers link photos to one camera. Stripping them \
            changes nothing in the picture.
            """,
        defaultSeverity: .warning,
        options: [
            OptionSpec("gps", .severity, default: .severity(.warning), "EXIF GPS latitude/longitude present."),
            OptionSpec("camera_serial", .severity, default: .severity(.info), "Camera body or lens serial number, or owner name."),
        ],
        needsPixels: false)

    let gps: ConfiguredSeverity, serial: ConfiguredSeverity
    public init(options: RuleOptions) {
        gps = options.severity("gps")
        serial = options.severity("camera_serial")
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        var findings: [Finding] = []
        if facts.header.hasGPS, let severity = gps.ceiling {
            findings.append(finding(severity, "The photo carries its GPS location (EXIF latitude/longitude); "
                                        + "anyone with the uploaded file can see where it was taken.",
                                    advice: "preflight fix strips all metadata; or turn off location when sharing.",
                                    measured: "GPS present", fixable: true))
        }
        if facts.header.hasCameraSerial, let severity = serial.ceiling {
            findings.append(finding(severity, "The photo carries a camera serial number or owner name (EXIF).",
                                    advice: "preflight fix strips all metadata.", measured: "serial present", fixable: true))
        }
        return findings
    }
}
