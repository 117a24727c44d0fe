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

    /// The stored pixel displayed at (x, y), for a stored image of `width`×`height`.
    public func storedPoint(x: Int, y: Int, width w: Int, height h: Int) -> (x: Int, y: Int) {
        switch self {
        case .up: (x, y)
        case .upMirrored: (w - 1 - x, y)
        case .down: (w - 1 - x, h - 1 - y)
        case .downMirrored: (x, h - 1 - y)
        case .leftMirrored: (y, x)
        case .right: (y, h - 1 - x)
        case .rightMirrored: (w - 1 - y, h - 1 - x)
        case .left: (w - 1 - y, x)
        }
    }

    /// The stored rectangle whose pixels, turned this way, display as `rect`
    /// (`width`×`height` is the stored size).
    public func storedRect(of rect: PixelRect, width: Int, height: Int) -> PixelRect {
        let a = storedPoint(x: rect.x, y: rect.y, width: width, height: height)
        let b = storedPoint(x: rect.x + rect.width - 1, y: rect.y + rect.height - 1, width: width, height: height)
        return PixelRect(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(a.x - b.x) + 1, height: abs(a.y - b.y) + 1)
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
