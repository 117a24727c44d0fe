import Testing
import Foundation
@testable import FaceNet

/// The protobuf and ONNX readers on constructed and hostile bytes: errors, never crashes.
@Suite("model reader")
struct ModelReaderTests {
    /// A varint's bytes.
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0))
            v >>= 7
        } while v > 0
        return out
    }
    static func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(payload.count)) + payload
    }
    static func string(_ number: Int, _ s: String) -> [UInt8] { field(number, Array(s.utf8)) }

    @Test("a small graph reads back: nodes, attributes, initializers (raw and typed), inputs and outputs")
    func readsAGraph() throws {
        let weights: [Float] = [0.5, -1, 2, 4]
        let raw = weights.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> UInt32(8 * $0)) } }
        let tensor = Self.field(1, Self.varint(4)) + [0x10, 1] + Self.string(8, "w") + Self.field(9, raw)
        let shape: [Int64] = [1, -1, 1]
        let shapeTensor = Self.field(1, Self.varint(3)) + [0x10, 7] + Self.string(8, "s")
            + shape.flatMap { [0x38] + Self.varint(UInt64(bitPattern: $0)) }  // int64_data, not packed
        let attribute = Self.string(1, "perm") + Self.field(8, [0, 2, 3, 1]) + [0xA0, 0x01, 7]  // ints packed; type = INTS
        let node = Self.string(1, "x") + Self.string(1, "w") + Self.string(2, "y") + Self.string(4, "Transpose") + Self.field(5, attribute)
        let input = Self.string(1, "x") + Self.field(2, Self.field(1, Self.field(2, Self.field(1, [0x08, 1]) + Self.field(1, [0x08, 3]))))
        let graph = Self.field(1, node) + Self.field(5, tensor) + Self.field(5, shapeTensor) + Self.field(11, input) + Self.field(12, Self.string(1, "y"))
        let model = [0x08, 6] + Self.field(8, Self.string(1, "") + [0x10, 11]) + Self.field(7, graph)
        let m = try ONNXModel(bytes: model)
        #expect(m.irVersion == 6 && m.opsets[""] == 11)
        #expect(m.graph.nodes.count == 1 && m.graph.nodes[0].opType == "Transpose" && m.graph.nodes[0].inputs == ["x", "w"])
        #expect(m.graph.nodes[0].ints("perm") == [0, 2, 3, 1])
        #expect(m.graph.initializers["w"]?.floats == weights && m.graph.initializers["s"]?.integers == shape)
        #expect(m.graph.inputs.count == 1 && m.graph.inputs[0].name == "x" && m.graph.inputs[0].dims == [1, 3])
        #expect(m.graph.outputs == ["y"])
    }

    @Test("truncated, overlong and mis-sized data are errors", arguments: [
        [UInt8]([0x3A, 0x10, 0x0A]),                      // a graph of 16 bytes with 1 there
        [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // an 11-byte varint
        [0x0F],                                            // wire type 7
        [0x3A, 0x08, 0x2A, 0x06, 0x08, 0x04, 0x10, 0x01, 0x4A, 0x00],  // 4 floats, 0 bytes of data
        [0x3A, 0x0A, 0x2A, 0x08, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x10, 0x01],  // a huge dimension
        [],                                                // no graph
    ])
    func malformed(_ bytes: [UInt8]) {
        #expect(throws: ModelError.self) { try ONNXModel(bytes: bytes) }
    }

    @Test("every prefix of a valid model, and every single-byte change, reads or fails cleanly")
    func everyPrefixAndFlip() throws {
        let node = Self.string(1, "x") + Self.string(2, "y") + Self.string(4, "Relu")
        let model = [0x08, 6] + Self.field(7, Self.field(1, node) + Self.field(12, Self.string(1, "y")))
        for n in 0..<model.count { _ = try? ONNXModel(bytes: Array(model.prefix(n))) }
        for i in model.indices {
            for v: UInt8 in [0, 0x7F, 0x80, 0xFF] {
                var m = model
                m[i] = v
                _ = try? ONNXModel(bytes: m)
            }
        }
    }
}

/// Every operator the runtime takes, against ONNX's own reference evaluator (onnx 1.23's
/// `onnx.reference.ReferenceEvaluator`, values recorded once): the fuzz seed
/// Fixtures/fuzz/onnx/every-operator.onnx, on an input of (index mod 17).
@Suite("network runtime")
struct NetworkRuntimeTests {
    @Test("the every-operator graph computes what ONNX's reference evaluator computes")
    func everyOperator() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturesRoot + "/fuzz/onnx/every-operator.onnx")))
        let plan = try NetworkPlan(try ONNXModel(bytes: bytes), inputShape: [1, 3, 32, 32])
        for kernels in [KernelTable.baseline] + (KernelTable.haswellCPU ? [KernelTable.avx2] : []) {
            let w = Workspace(plan)
            for i in 0..<w.input.count { w.input[i] = Float(i % 17) }
            w.run(kernels: kernels)
            let y = try #require(w.output("y"))
            #expect(plan.outputShape("y") == [1, 256, 4])
            let expected: [(Int, Float)] = [(0, 0.510448), (1, 0.560404), (2, 0.500625), (3, 0.587926), (100, 0.513097), (517, 0.566651), (1023, 0.573782)]
            for (i, v) in expected { #expect(abs(y[i] - v) < 1e-5, "\(kernels.name) y[\(i)] = \(y[i]), reference \(v)") }
            #expect(abs(y.reduce(0, +) - 559.1758) < 1e-3, "\(kernels.name)")
        }
    }
}
