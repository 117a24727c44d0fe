/// EXIF orientation (tag 0x0112): how stored pixels must be transformed to be displayed upright.
public enum Orientation: Int, Sendable, Codable, CaseIterable {
    case up = 1, upMirrored = 2, down = 3, downMirrored = 4
    case leftMirrored = 5, right = 6, rightMirrored = 7, left = 8

    /// Orientations 5–8 display the stored image with width and height exchanged.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// The transform that undoes this one (6 and 8 are each other's inverse; the rest are their own).
    public var inverse: Orientation {
        switch self {
        case .right: .left
        case .left: .right
        default: self
        }
    }

    /// What a person would be told to do to the stored pixels.
    public var instruction: String {
        switch self {
        case .up: "none"
        case .upMirrored: "mirror horizontally"
        case .down: "rotate 180°"
        case .downMirrored: "mirror vertically"
        case .leftMirrored: "mirror horizontally and rotate 90° anticlockwise"
        case .right: "rotate 90° clockwise"
        case .rightMirrored: "mirror horizontally and rotate 90° clockwise"
        case .left: "rotate 90° anticlockwise"
        }
    }
}
