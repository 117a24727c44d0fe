/// An ONNX graph compiled for one input size: its operations in order, each reading and writing
/// numbered buffers (slots) of a `Workspace`, with weights laid out for the kernels, Relu folded
/// into the operation before it, and buffers reused once their value is no longer needed.
///
/// Layout is NCHW (batch 1): a channel's plane is contiguous, which suits the network's 1×1
/// convolutions (a matrix product over channels, vectorised along the plane) and its depthwise
/// 3×3 ones (one plane at a time). Supports the operators YuNet uses: Conv (1×1, depthwise 3×3,
/// and dense k×k with any stride), Relu, MaxPool, Resize (nearest, integer scales), Add,
/// Transpose, Reshape, Sigmoid. Anything else is a `ModelError` naming the operator.
public struct NetworkPlan: Sendable {
    enum Op: Sendable {
        case pointwise(input: Int, output: Int, weights: [Float], bias: [Float], inChannels: Int, outChannels: Int, plane: Int, relu: Bool)
        case depthwise3(input: Int, output: Int, weights: [Float], bias: [Float], channels: Int, height: Int, width: Int, relu: Bool)
        case dense(input: Int, output: Int, weights: [Float], bias: [Float], inChannels: Int, outChannels: Int,
                   height: Int, width: Int, outHeight: Int, outWidth: Int, kernel: Int, stride: Int, padTop: Int, padLeft: Int, relu: Bool)
        case maxPool(input: Int, output: Int, channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int, kernel: Int, stride: Int)
        case upsample(input: Int, output: Int, channels: Int, height: Int, width: Int, factorY: Int, factorX: Int)
        case add(a: Int, b: Int, output: Int, count: Int, relu: Bool)
        case relu(input: Int, output: Int, count: Int)
        case sigmoid(input: Int, output: Int, count: Int)
        case transpose(input: Int, output: Int, shape: [Int], perm: [Int])
        case copy(input: Int, output: Int, count: Int)
    }

    let ops: [Op]
    /// Each slot's size in floats.
    let slotSizes: [Int]
    let inputSlot: Int
    public let inputShape: [Int]
    /// Graph outputs: name → (slot, shape).
    let outputSlots: [String: (slot: Int, shape: [Int])]

    public func outputShape(_ name: String) -> [Int]? { outputSlots[name]?.shape }

    /// Compiles `model` for an input of `shape` (NCHW, batch 1).
    public init(_ model: ONNXModel, inputShape shape: [Int]) throws(ModelError) {
        let graph = model.graph
        guard graph.inputs.count == 1, let input = graph.inputs.first else {
            throw ModelError("the model has \(graph.inputs.count) inputs; one image input is supported")
        }
        guard shape.count == 4, shape[0] == 1, shape.allSatisfy({ $0 > 0 }) else { throw ModelError("input shape \(shape) is not NCHW with batch 1") }
        _ = try elements(shape, "the input")
        inputShape = shape
        let nodes = graph.nodes
        // Where each value is last read (graph outputs: never released).
        var lastUse: [String: Int] = [:]
        var readers: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for name in node.inputs where !name.isEmpty {
                lastUse[name] = i
                readers[name, default: 0] += 1
            }
        }
        for name in graph.outputs { lastUse[name] = Int.max }

        var shapes: [String: [Int]] = [input.name: shape]
        var slotOf: [String: Int] = [:]
        var sizes: [Int] = []
        var free: [Int] = []
        func allocate(_ count: Int) -> Int {
            if let k = free.indices.max(by: { sizes[free[$0]] < sizes[free[$1]] }) {
                let slot = free.remove(at: k)
                sizes[slot] = max(sizes[slot], count)
                return slot
            }
            sizes.append(count)
            return sizes.count - 1
        }
        slotOf[input.name] = allocate(shape.reduce(1, *))
        let inputSlot = slotOf[input.name]!

        var ops: [Op] = []
        var skip = Set<Int>()
        func constant(_ name: String, _ node: ONNXNode) throws(ModelError) -> ONNXTensor {
            guard let t = graph.initializers[name] else { throw ModelError("\(node.opType) \(node.name): input \(name) must be a constant") }
            return t
        }
        for (i, node) in nodes.enumerated() where !skip.contains(i) {
            func operand(_ k: Int) throws(ModelError) -> (slot: Int, shape: [Int]) {
                guard k < node.inputs.count, let s = shapes[node.inputs[k]], let slot = slotOf[node.inputs[k]] else {
                    throw ModelError("\(node.opType) \(node.name): input \(k) is not computed before it")
                }
                return (slot, s)
            }
            // A Relu reading only this node's output is folded into it.
            var relu = false
            var outputName = node.outputs.first ?? ""
            if ["Conv", "Add"].contains(node.opType), readers[outputName] == 1, i + 1 < nodes.count,
               nodes[i + 1].opType == "Relu", nodes[i + 1].inputs == [outputName], !graph.outputs.contains(outputName) {
                relu = true
                skip.insert(i + 1)
                outputName = nodes[i + 1].outputs.first ?? ""
            }
            let releaseAfter = relu ? i + 1 : i
            var outShape: [Int]
            let op: Op
            switch node.opType {
            case "Conv":
                let x = try operand(0)
                let w = try constant(node.inputs.count > 1 ? node.inputs[1] : "", node)
                guard x.shape.count == 4, w.dims.count == 4 else { throw ModelError("Conv \(node.name): only 2-D convolutions are supported") }
                let (ci, h, wd) = (x.shape[1], x.shape[2], x.shape[3])
                let co = w.dims[0], k = w.dims[2]
                let group = node.int("group") ?? 1
                let stride = node.ints("strides") ?? [1, 1], pads = node.ints("pads") ?? [0, 0, 0, 0]
                let dilation = node.ints("dilations") ?? [1, 1]
                guard w.dims[3] == k, k <= 64, stride.count == 2, stride[0] == stride[1], stride[0] >= 1, stride[0] <= 64, pads.count == 4,
                      pads.allSatisfy({ $0 >= 0 && $0 <= 64 }),
                      dilation.allSatisfy({ $0 == 1 }), node.string("auto_pad").map({ $0 == "NOTSET" }) ?? true else {
                    throw ModelError("Conv \(node.name): kernel \(w.dims), strides \(stride), pads \(pads), dilations \(dilation) are not supported")
                }
                var bias = [Float](repeating: 0, count: co)
                if node.inputs.count > 2, !node.inputs[2].isEmpty {
                    let b = try constant(node.inputs[2], node)
                    guard b.floats.count == co else { throw ModelError("Conv \(node.name): \(b.floats.count) biases for \(co) channels") }
                    bias = b.floats
                }
                guard w.floats.count == co * w.dims[1] * k * k else { throw ModelError("Conv \(node.name): weights are not floats of shape \(w.dims)") }
                let s = stride[0]
                let oh = (h + pads[0] + pads[2] - k) / s + 1, ow = (wd + pads[1] + pads[3] - k) / s + 1
                guard oh > 0, ow > 0 else { throw ModelError("Conv \(node.name): the input \(h)×\(wd) is smaller than the kernel") }
                outShape = [1, co, oh, ow]
                let out = allocate(try elements(outShape, "Conv \(node.name)"))
                if group == 1 && k == 1 && s == 1 && pads.allSatisfy({ $0 == 0 }) && w.dims[1] == ci {
                    op = .pointwise(input: x.slot, output: out, weights: w.floats, bias: bias, inChannels: ci, outChannels: co, plane: h * wd, relu: relu)
                } else if group == ci && co == ci && w.dims[1] == 1 && k == 3 && s == 1 && pads.allSatisfy({ $0 == 1 }) {
                    op = .depthwise3(input: x.slot, output: out, weights: w.floats, bias: bias, channels: ci, height: h, width: wd, relu: relu)
                } else if group == 1 && w.dims[1] == ci {
                    op = .dense(input: x.slot, output: out, weights: w.floats, bias: bias, inChannels: ci, outChannels: co, height: h, width: wd,
                                outHeight: oh, outWidth: ow, kernel: k, stride: s, padTop: pads[0], padLeft: pads[1], relu: relu)
                } else {
                    throw ModelError("Conv \(node.name): group \(group) with \(ci) input channels and kernel \(w.dims) is not supported")
                }
            case "Relu", "Sigmoid":
                let x = try operand(0)
                let n = x.shape.reduce(1, *)
                outShape = x.shape
                let out = allocate(n)
                op = node.opType == "Relu" ? .relu(input: x.slot, output: out, count: n) : .sigmoid(input: x.slot, output: out, count: n)
            case "Add":
                let a = try operand(0), b = try operand(1)
                guard a.shape == b.shape else { throw ModelError("Add \(node.name): shapes \(a.shape) and \(b.shape) differ (broadcasting is not supported)") }
                outShape = a.shape
                let n = a.shape.reduce(1, *)
                op = .add(a: a.slot, b: b.slot, output: allocate(n), count: n, relu: relu)
            case "MaxPool":
                let x = try operand(0)
                let kernel = node.ints("kernel_shape") ?? [], stride = node.ints("strides") ?? [1, 1]
                let pads = node.ints("pads") ?? [0, 0, 0, 0]
                guard x.shape.count == 4, kernel.count == 2, kernel[0] == kernel[1], kernel[0] >= 1, kernel[0] <= 64, stride.count == 2,
                      stride[0] == stride[1], stride[0] >= 1, stride[0] <= 64, pads.allSatisfy({ $0 == 0 }), (node.int("ceil_mode") ?? 0) == 0 else {
                    throw ModelError("MaxPool \(node.name): kernel \(kernel), strides \(stride), pads \(pads) are not supported")
                }
                let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
                let oh = (h - kernel[0]) / stride[0] + 1, ow = (w - kernel[0]) / stride[0] + 1
                guard oh > 0, ow > 0 else { throw ModelError("MaxPool \(node.name): the input \(h)×\(w) is smaller than the kernel") }
                outShape = [1, c, oh, ow]
                op = .maxPool(input: x.slot, output: allocate(c * oh * ow), channels: c, height: h, width: w, outHeight: oh, outWidth: ow,
                              kernel: kernel[0], stride: stride[0])
            case "Resize", "Upsample":
                let x = try operand(0)
                let scalesName = node.opType == "Upsample" ? (node.inputs.count > 1 ? node.inputs[1] : "") : (node.inputs.count > 2 ? node.inputs[2] : "")
                let scales = try constant(scalesName, node).floats
                guard node.string("mode") == "nearest", node.opType == "Upsample" || node.string("coordinate_transformation_mode") == "asymmetric",
                      node.opType == "Upsample" || (node.string("nearest_mode") ?? "round_prefer_floor") == "floor",
                      x.shape.count == 4, scales.count == 4, scales[0] == 1, scales[1] == 1,
                      scales[2] >= 1, scales[3] >= 1, scales[2] <= 64, scales[3] <= 64,
                      scales[2] == scales[2].rounded(), scales[3] == scales[3].rounded() else {
                    throw ModelError("\(node.opType) \(node.name): only nearest-neighbour upsampling by whole factors is supported (scales \(scales))")
                }
                let fy = Int(scales[2]), fx = Int(scales[3])
                let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
                outShape = [1, c, h * fy, w * fx]
                op = .upsample(input: x.slot, output: allocate(try elements(outShape, "\(node.opType) \(node.name)")), channels: c, height: h, width: w, factorY: fy, factorX: fx)
            case "Transpose":
                let x = try operand(0)
                let perm = node.ints("perm") ?? Array((0..<x.shape.count).reversed())
                guard perm.count == x.shape.count, Set(perm) == Set(0..<perm.count), perm.count <= 6 else {
                    throw ModelError("Transpose \(node.name): permutation \(perm) of a \(x.shape.count)-D tensor")
                }
                outShape = perm.map { x.shape[$0] }
                op = .transpose(input: x.slot, output: allocate(x.shape.reduce(1, *)), shape: x.shape, perm: perm)
            case "Reshape":
                let x = try operand(0)
                let target = try constant(node.inputs.count > 1 ? node.inputs[1] : "", node).integers
                let n = x.shape.reduce(1, *)
                var dims = target.enumerated().map { k, v in v == 0 && k < x.shape.count ? x.shape[k] : Int(clamping: v) }
                guard dims.filter({ $0 == -1 }).count <= 1, dims.allSatisfy({ $0 >= -1 }) else {
                    throw ModelError("Reshape \(node.name): \(x.shape) cannot become \(target)")
                }
                if let unknown = dims.firstIndex(of: -1) {
                    let known = try elements(dims.enumerated().filter { $0.offset != unknown }.map(\.element), "Reshape \(node.name)")
                    guard known > 0, n % known == 0 else { throw ModelError("Reshape \(node.name): \(x.shape) cannot become \(target)") }
                    dims[unknown] = n / known
                }
                guard try elements(dims, "Reshape \(node.name)") == n else { throw ModelError("Reshape \(node.name): \(x.shape) cannot become \(target)") }
                outShape = dims
                op = .copy(input: x.slot, output: allocate(n), count: n)
            default:
                throw ModelError("operator \(node.opType) (node \(node.name)) is not supported")
            }
            ops.append(op)
            shapes[outputName] = outShape
            slotOf[outputName] = slotOfOutput(op)
            // Release the slots of values read for the last time here.
            for name in Set(node.inputs) where lastUse[name] == i || (relu && lastUse[name] == releaseAfter) {
                if let slot = slotOf[name], name != outputName, !graph.outputs.contains(name), !free.contains(slot),
                   !slotOf.contains(where: { $0.key != name && $0.value == slot && (lastUse[$0.key] ?? -1) > releaseAfter }) {
                    free.append(slot)
                }
            }
        }
        var outputs: [String: (slot: Int, shape: [Int])] = [:]
        for name in graph.outputs {
            guard let slot = slotOf[name], let s = shapes[name] else { throw ModelError("output \(name) is never computed") }
            outputs[name] = (slot, s)
        }
        guard (try? elements([sizes.reduce(0) { $0 + $1 }], "")) != nil, sizes.reduce(0, +) <= 1 << 26 else {
            throw ModelError("the network needs more than 256 MiB of buffers for a \(shape) input")
        }
        self.ops = ops
        self.slotSizes = sizes
        self.inputSlot = inputSlot
        self.outputSlots = outputs
    }
}

/// The number of elements of a tensor of `dims`: an error past 2^24 (64 MiB of floats; YuNet's
/// largest at 640×640 is 1.6 M), and never an overflow, whatever a model file says.
func elements(_ dims: [Int], _ what: String) throws(ModelError) -> Int {
    var n = 1
    for d in dims {
        guard d >= 0 else { throw ModelError("\(what): a negative dimension in \(dims)") }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        guard !overflow, p <= 1 << 24 else { throw ModelError("\(what): a tensor of \(dims) is too large") }
        n = p
    }
    return n
}

private func slotOfOutput(_ op: NetworkPlan.Op) -> Int {
    switch op {
    case .pointwise(_, let o, _, _, _, _, _, _), .depthwise3(_, let o, _, _, _, _, _, _), .dense(_, let o, _, _, _, _, _, _, _, _, _, _, _, _, _),
         .maxPool(_, let o, _, _, _, _, _, _, _), .upsample(_, let o, _, _, _, _, _), .add(_, _, let o, _, _), .relu(_, let o, _),
         .sigmoid(_, let o, _), .transpose(_, let o, _, _), .copy(_, let o, _):
        return o
    }
}
