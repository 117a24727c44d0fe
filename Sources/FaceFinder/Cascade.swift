/// A boosted cascade of weak classifiers over HAAR or LBP features, as OpenCV's
/// `opencv-cascade-classifier` XML files describe it (the format `opencv_traincascade` writes and
/// Debian's `opencv-data` ships). Trees are stored flat so evaluation is index arithmetic.
public struct Cascade: Sendable {
    public enum FeatureType: String, Sendable { case haar = "HAAR", lbp = "LBP" }

    /// A Haar rectangle in window coordinates with its weight.
    struct WeightedRect: Sendable {
        var x: Int, y: Int, width: Int, height: Int
        var weight: Float
    }

    struct HaarFeature: Sendable {
        var rects: [WeightedRect]  // 2 or 3
        var tilted: Bool
    }

    /// LBP feature: a 3×3 grid of blocks, each `width`×`height`, whose top-left block is at (x, y).
    struct LBPFeature: Sendable {
        var x: Int, y: Int, width: Int, height: Int
    }

    /// A tree node. `left`/`right` > 0 is the index of the next node in the same tree; ≤ 0 means
    /// leaf `-value` of the tree. HAAR nodes compare the feature value with `threshold`; LBP nodes
    /// look the 8-bit code up in the 256-bit `subset` (8 × Int32, from `subsetOffset`).
    struct Node: Sendable {
        var left: Int32
        var right: Int32
        var feature: Int32
        var threshold: Float
        var subsetOffset: Int32
    }

    struct Tree: Sendable {
        var firstNode: Int32
        var firstLeaf: Int32
    }

    struct Stage: Sendable {
        var threshold: Float
        var firstTree: Int
        var treeCount: Int
    }

    public let featureType: FeatureType
    public let windowWidth: Int
    public let windowHeight: Int
    let stages: [Stage]
    let trees: [Tree]
    let nodes: [Node]
    let leaves: [Float]
    let subsets: [Int32]
    let haarFeatures: [HaarFeature]
    let lbpFeatures: [LBPFeature]
    /// True when every tree is a single node (a stump): the common case, evaluated faster.
    let stumpsOnly: Bool
    /// True when some Haar feature is tilted (45°): the detector then builds the tilted integral.
    let hasTilted: Bool
    /// Where it was loaded from, for messages.
    public let source: String

    public var stageCount: Int { stages.count }
}

public struct CascadeError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

extension Cascade {
    /// Parses a cascade file's bytes.
    public init(xml bytes: [UInt8], source: String) throws(CascadeError) {
        func fail(_ m: String) -> CascadeError { CascadeError(path: source, message: m) }
        let root: XMLElement
        do {
            root = try XMLReader.parse(bytes)
        } catch {
            throw fail("not a readable cascade file (\(error))")
        }
        // <opencv_storage><cascade> … or a cascade named after the file (older writers).
        guard let cascade = root.children.first(where: { $0.child("stages") != nil && $0.child("featureType") != nil })
        else {
            if root.children.contains(where: { $0.child("stages") != nil && $0.child("size") != nil }) {
                throw fail("an old-style (pre-2.0) Haar cascade; use the opencv-cascade-classifier files of opencv-data")
            }
            throw fail("no <cascade> with <stages> and <featureType> in this file")
        }
        guard let typeName = cascade.value("featureType"), let type = FeatureType(rawValue: typeName.uppercased()) else {
            throw fail("unsupported feature type \(cascade.value("featureType") ?? "(none)"); HAAR and LBP are supported")
        }
        guard cascade.value("stageType").map({ $0.uppercased() == "BOOST" }) ?? true else {
            throw fail("unsupported stage type \(cascade.value("stageType") ?? "")")
        }
        guard let w = cascade.value("width").flatMap({ Int($0) }), let h = cascade.value("height").flatMap({ Int($0) }),
              (1...1024).contains(w), (1...1024).contains(h)
        else { throw fail("missing or invalid window <width>/<height>") }

        let catCount = cascade.child("featureParams")?.value("maxCatCount").flatMap { Int($0) } ?? 0
        let subsetSize = catCount > 0 ? (catCount + 31) / 32 : 0
        if type == .lbp && subsetSize != 8 { throw fail("an LBP cascade needs maxCatCount 256, found \(catCount)") }

        // Features first, so node indices can be checked.
        guard let featureList = cascade.child("features")?.children, !featureList.isEmpty else { throw fail("no <features>") }
        var haar: [HaarFeature] = []
        var lbp: [LBPFeature] = []
        var tiltedAny = false
        for (n, f) in featureList.enumerated() {
            switch type {
            case .haar:
                guard let rectList = f.child("rects")?.children, (1...3).contains(rectList.count) else {
                    throw fail("feature \(n): expected 1 to 3 <rects>")
                }
                var rects: [WeightedRect] = []
                for r in rectList {
                    let v = Self.numbers(r.text)
                    guard v.count == 5, v[0...3].allSatisfy({ $0 == $0.rounded() && $0 >= 0 && $0 <= Double(max(w, h) * 2) })
                    else { throw fail("feature \(n): a rect needs 'x y width height weight'") }
                    rects.append(WeightedRect(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3]), weight: Float(v[4])))
                }
                let tilted = f.value("tilted") == "1"
                tiltedAny = tiltedAny || tilted
                for r in rects {
                    let fits = tilted
                        ? r.x - r.height >= 0 && r.x + r.width <= w && r.y + r.width + r.height <= h
                        : r.x + r.width <= w && r.y + r.height <= h
                    guard fits else { throw fail("feature \(n): a rect lies outside the \(w)×\(h) window") }
                }
                haar.append(HaarFeature(rects: rects, tilted: tilted))
            case .lbp:
                let v = f.value("rect").map(Self.numbers) ?? []
                guard v.count == 4, v.allSatisfy({ $0 >= 0 && $0 == $0.rounded() }),
                      Int(v[0]) + 3 * Int(v[2]) <= w, Int(v[1]) + 3 * Int(v[3]) <= h
                else { throw fail("feature \(n): an LBP <rect> needs 'x y width height' inside the window") }
                lbp.append(LBPFeature(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3])))
            }
        }
        let featureCount = type == .haar ? haar.count : lbp.count

        guard let stageList = cascade.child("stages")?.children, !stageList.isEmpty else { throw fail("no <stages>") }
        var stages: [Stage] = [], trees: [Tree] = [], nodes: [Node] = [], leaves: [Float] = [], subsets: [Int32] = []
        var stumps = true
        for (s, stage) in stageList.enumerated() {
            guard let threshold = stage.value("stageThreshold").flatMap({ Double($0) }),
                  let weak = stage.child("weakClassifiers")?.children, !weak.isEmpty
            else { throw fail("stage \(s): needs <stageThreshold> and <weakClassifiers>") }
            stages.append(Stage(threshold: Float(threshold), firstTree: trees.count, treeCount: weak.count))
            for (t, classifier) in weak.enumerated() {
                let nodeValues = Self.numbers(classifier.value("internalNodes") ?? "")
                let leafValues = Self.numbers(classifier.value("leafValues") ?? "")
                let perNode = type == .haar ? 4 : 3 + subsetSize
                guard nodeValues.allSatisfy(\.isFinite), leafValues.allSatisfy(\.isFinite) else {
                    throw fail("stage \(s), classifier \(t): a value that is not a number")
                }
                guard !nodeValues.isEmpty, nodeValues.count % perNode == 0 else {
                    throw fail("stage \(s), classifier \(t): <internalNodes> has \(nodeValues.count) numbers, not a multiple of \(perNode)")
                }
                let nodeCount = nodeValues.count / perNode
                guard leafValues.count == nodeCount + 1 else {
                    throw fail("stage \(s), classifier \(t): \(nodeCount) nodes need \(nodeCount + 1) leaf values")
                }
                if nodeCount > 1 { stumps = false }
                trees.append(Tree(firstNode: Int32(nodes.count), firstLeaf: Int32(leaves.count)))
                for k in 0..<nodeCount {
                    let v = nodeValues[(k * perNode)..<((k + 1) * perNode)]
                    guard v.prefix(3).allSatisfy({ abs($0) < 1e6 && $0 == $0.rounded() }),
                          v.dropFirst(3).allSatisfy({ type == .haar || (abs($0) <= 4_294_967_295 && $0 == $0.rounded()) })
                    else { throw fail("stage \(s), classifier \(t): node \(k) has an index out of range") }
                    let left = Int(v[v.startIndex]), right = Int(v[v.startIndex + 1]), feature = Int(v[v.startIndex + 2])
                    for child in [left, right] where child > 0 ? child >= nodeCount : -child > nodeCount {
                        throw fail("stage \(s), classifier \(t): node \(k) points outside its tree")
                    }
                    guard (0..<featureCount).contains(feature) else {
                        throw fail("stage \(s), classifier \(t): feature \(feature) does not exist")
                    }
                    var node = Node(left: Int32(left), right: Int32(right), feature: Int32(feature), threshold: 0, subsetOffset: 0)
                    if type == .haar {
                        node.threshold = Float(v[v.startIndex + 3])
                    } else {
                        node.subsetOffset = Int32(subsets.count)
                        for b in v[(v.startIndex + 3)...] { subsets.append(Int32(truncatingIfNeeded: Int64(b))) }
                    }
                    nodes.append(node)
                }
                // A child index must move forward, or evaluation could loop.
                for k in 0..<nodeCount {
                    let n = nodes[nodes.count - nodeCount + k]
                    for child in [n.left, n.right] where child > 0 && Int(child) <= k {
                        throw fail("stage \(s), classifier \(t): node \(k) points back to node \(child)")
                    }
                }
                leaves.append(contentsOf: leafValues.map { Float($0) })
            }
        }
        self.featureType = type
        self.windowWidth = w
        self.windowHeight = h
        self.stages = stages
        self.trees = trees
        self.nodes = nodes
        self.leaves = leaves
        self.subsets = subsets
        self.haarFeatures = haar
        self.lbpFeatures = lbp
        self.stumpsOnly = stumps
        self.hasTilted = tiltedAny
        self.source = source
    }

    /// Whitespace-separated numbers ("-1.", "3.5e-01", "-17409").
    static func numbers(_ text: String) -> [Double] {
        var out: [Double] = []
        // Split bytes, not Characters: "\r\n" is one Character, and some files use CRLF.
        for token in text.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
            out.append(Double(String(decoding: token, as: UTF8.self)) ?? .nan)
        }
        return out
    }
}
