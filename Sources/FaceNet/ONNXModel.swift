/// The parts of an ONNX model (onnx.proto, IR version 3 and later) a network needs: the graph's
/// nodes, its constant tensors, and its inputs and outputs. Subgraphs, training information,
/// sparse and external tensors are not supported (a model using them is an error).
public struct ONNXModel: Sendable {
    public var irVersion: Int64 = 0
    /// Operator set versions by domain ("" is the default ONNX domain).
    public var opsets: [String: Int64] = [:]
    public var graph = ONNXGraph()

    /// The largest tensor accepted, in elements (a guard against hostile files).
    static let maxElements = 1 << 26

    public init(bytes: [UInt8]) throws(ModelError) {
        var r = ProtoReader(bytes)
        var sawGraph = false
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, .varint): irVersion = Int64(bitPattern: try r.varint())
            case (7, .bytes):
                var m = try r.message()
                graph = try ONNXGraph(&m)
                sawGraph = true
            case (8, .bytes):
                var m = try r.message()
                var domain = "", version: Int64 = 0
                while let (n, w) = try m.field() {
                    switch (n, w) {
                    case (1, .bytes): domain = try m.string()
                    case (2, .varint): version = Int64(bitPattern: try m.varint())
                    default: try m.skip(w)
                    }
                }
                opsets[domain] = version
            default: try r.skip(wire)
            }
        }
        guard sawGraph else { throw ModelError("not an ONNX model: no graph") }
    }
}

public struct ONNXGraph: Sendable {
    public var nodes: [ONNXNode] = []
    public var initializers: [String: ONNXTensor] = [:]
    /// Graph inputs that are not initializers, with their declared dimensions (0 = symbolic).
    public var inputs: [(name: String, dims: [Int])] = []
    public var outputs: [String] = []

    init() {}

    init(_ r: inout ProtoReader) throws(ModelError) {
        var declared: [(String, [Int])] = []
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, .bytes):
                var m = try r.message()
                nodes.append(try ONNXNode(&m))
            case (5, .bytes):
                var m = try r.message()
                let t = try ONNXTensor(&m)
                initializers[t.name] = t
            case (11, .bytes):
                var m = try r.message()
                declared.append(try Self.valueInfo(&m))
            case (12, .bytes):
                var m = try r.message()
                outputs.append(try Self.valueInfo(&m).0)
            case (15, .bytes): throw ModelError("sparse initializers are not supported")
            default: try r.skip(wire)
            }
        }
        inputs = declared.filter { initializers[$0.0] == nil }.map { (name: $0.0, dims: $0.1) }
    }

    /// A ValueInfoProto's name and tensor dimensions (0 for a symbolic one).
    private static func valueInfo(_ r: inout ProtoReader) throws(ModelError) -> (String, [Int]) {
        var name = "", dims: [Int] = []
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, .bytes): name = try r.string()
            case (2, .bytes):  // TypeProto → tensor_type (1) → shape (2) → dim (1) → dim_value (1)
                var type = try r.message()
                while let (n1, w1) = try type.field() {
                    guard n1 == 1, w1 == .bytes else { try type.skip(w1); continue }
                    var tensor = try type.message()
                    while let (n2, w2) = try tensor.field() {
                        guard n2 == 2, w2 == .bytes else { try tensor.skip(w2); continue }
                        var shape = try tensor.message()
                        while let (n3, w3) = try shape.field() {
                            guard n3 == 1, w3 == .bytes else { try shape.skip(w3); continue }
                            var dim = try shape.message()
                            var value = 0
                            while let (n4, w4) = try dim.field() {
                                if n4 == 1, w4 == .varint { value = Int(truncatingIfNeeded: try dim.varint()) } else { try dim.skip(w4) }
                            }
                            dims.append(max(0, value))
                        }
                    }
                }
            default: try r.skip(wire)
            }
        }
        return (name, dims)
    }
}

public struct ONNXNode: Sendable {
    public var opType = ""
    public var domain = ""
    public var name = ""
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributes: [String: ONNXAttribute] = [:]

    init(_ r: inout ProtoReader) throws(ModelError) {
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, .bytes): inputs.append(try r.string())
            case (2, .bytes): outputs.append(try r.string())
            case (3, .bytes): name = try r.string()
            case (4, .bytes): opType = try r.string()
            case (7, .bytes): domain = try r.string()
            case (5, .bytes):
                var m = try r.message()
                let a = try ONNXAttribute(&m)
                attributes[a.name] = a
            default: try r.skip(wire)
            }
        }
    }

    public func ints(_ key: String) -> [Int]? { attributes[key].map { $0.ints.map { Int(truncatingIfNeeded: $0) } } }
    public func int(_ key: String) -> Int? { attributes[key]?.i.map { Int(truncatingIfNeeded: $0) } }
    public func string(_ key: String) -> String? { attributes[key]?.s.map { String(decoding: $0, as: UTF8.self) } }
    public func float(_ key: String) -> Float? { attributes[key]?.f }
}

public struct ONNXAttribute: Sendable {
    public var name = ""
    public var f: Float?
    public var i: Int64?
    public var s: [UInt8]?
    public var t: ONNXTensor?
    public var floats: [Float] = []
    public var ints: [Int64] = []

    init(_ r: inout ProtoReader) throws(ModelError) {
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, .bytes): name = try r.string()
            case (2, .fixed32): f = Float(bitPattern: try r.fixed32())
            case (3, .varint): i = Int64(bitPattern: try r.varint())
            case (4, .bytes): s = Array(r.bytes[try r.lengthDelimited()])
            case (5, .bytes):
                var m = try r.message()
                t = try ONNXTensor(&m)
            case (7, _): try r.floats(wire, into: &floats)
            case (8, _): try r.integers(wire, into: &ints)
            case (6, _), (11, _): throw ModelError("attribute \(name): subgraphs are not supported")
            default: try r.skip(wire)
            }
        }
    }
}

/// A constant tensor: float (data type 1) or integer (6 int32, 7 int64) values, row-major.
public struct ONNXTensor: Sendable {
    public var name = ""
    public var dims: [Int] = []
    public var dataType: Int = 0
    public var floats: [Float] = []
    public var integers: [Int64] = []

    public var count: Int { dims.reduce(1, *) }

    init(_ r: inout ProtoReader) throws(ModelError) {
        var raw: Range<Int>?
        let bytes = r.bytes
        while let (number, wire) = try r.field() {
            switch (number, wire) {
            case (1, _):
                var d: [Int64] = []
                try r.integers(wire, into: &d)
                for v in d {
                    guard v >= 0, v <= Int64(ONNXModel.maxElements) else { throw ModelError("tensor \(name): dimension \(v) out of range") }
                    dims.append(Int(v))
                }
            case (2, .varint): dataType = Int(truncatingIfNeeded: try r.varint())
            case (4, _): try r.floats(wire, into: &floats)
            case (5, _), (7, _): try r.integers(wire, into: &integers)
            case (8, .bytes): name = try r.string()
            case (9, .bytes): raw = try r.lengthDelimited()
            case (13, _), (14, _): throw ModelError("tensor \(name): external data is not supported")
            default: try r.skip(wire)
            }
        }
        var total = 1
        for d in dims {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= ONNXModel.maxElements else { throw ModelError("tensor \(name): too many elements") }
            total = p
        }
        if let raw {
            let size = dataType == 1 || dataType == 6 ? 4 : dataType == 7 ? 8 : 0
            guard size > 0 else { throw ModelError("tensor \(name): data type \(dataType) is not supported") }
            guard raw.count == total * size else {
                throw ModelError("tensor \(name): \(raw.count) bytes of data for \(total) values of \(size) bytes")
            }
            let base = raw.lowerBound
            func word(_ i: Int, _ n: Int) -> UInt64 {
                var v: UInt64 = 0
                for k in 0..<n { v |= UInt64(bytes[base + i * n + k]) << UInt64(8 * k) }
                return v
            }
            switch dataType {
            case 1: floats = (0..<total).map { Float(bitPattern: UInt32(word($0, 4))) }
            case 6: integers = (0..<total).map { Int64(Int32(bitPattern: UInt32(word($0, 4)))) }
            default: integers = (0..<total).map { Int64(bitPattern: word($0, 8)) }
            }
        } else if dataType == 1 {
            guard floats.count == total else { throw ModelError("tensor \(name): \(floats.count) floats for \(total) values") }
        } else if dataType == 6 || dataType == 7 {
            guard integers.count == total else { throw ModelError("tensor \(name): \(integers.count) integers for \(total) values") }
        } else if total > 0 {
            throw ModelError("tensor \(name): data type \(dataType) is not supported")
        }
    }
}
