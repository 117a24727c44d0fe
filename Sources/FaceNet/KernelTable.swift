#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCPUFeatures
import FaceNetKernels
import FaceNetKernelsAVX2

/// The kernels a workspace runs: the AVX2 build where the CPU has Haswell's features, else the
/// baseline one (the same source compiled twice; the results are bit-identical).
struct KernelTable: Sendable {
    typealias In = UnsafePointer<Float>
    typealias Out = UnsafeMutablePointer<Float>
    let name: String
    let pointwise: @Sendable (In, Out, In, In, Int, Int, Int, Bool) -> Void
    let depthwise3: @Sendable (In, Out, In, In, Int, Int, Int, Bool, Out) -> Void
    let dense: @Sendable (In, Out, In, In, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Bool, Out) -> Void
    let maxPool: @Sendable (In, Out, Int, Int, Int, Int, Int, Int, Int) -> Void
    let upsample: @Sendable (In, Out, Int, Int, Int, Int, Int) -> Void
    let add: @Sendable (In, In, Out, Int, Bool) -> Void
    let sigmoid: @Sendable (In, Out, Int) -> Void
    let transpose: @Sendable (In, Out, [Int], [Int]) -> Void

    static let baseline = KernelTable(
        name: "baseline", pointwise: FaceNetKernels.Kernels.pointwise, depthwise3: FaceNetKernels.Kernels.depthwise3,
        dense: FaceNetKernels.Kernels.dense, maxPool: FaceNetKernels.Kernels.maxPool, upsample: FaceNetKernels.Kernels.upsample,
        add: FaceNetKernels.Kernels.add, sigmoid: FaceNetKernels.Kernels.sigmoid, transpose: FaceNetKernels.Kernels.transpose)

    static let avx2 = KernelTable(
        name: "avx2", pointwise: FaceNetKernelsAVX2.Kernels.pointwise, depthwise3: FaceNetKernelsAVX2.Kernels.depthwise3,
        dense: FaceNetKernelsAVX2.Kernels.dense, maxPool: FaceNetKernelsAVX2.Kernels.maxPool, upsample: FaceNetKernelsAVX2.Kernels.upsample,
        add: FaceNetKernelsAVX2.Kernels.add, sigmoid: FaceNetKernelsAVX2.Kernels.sigmoid, transpose: FaceNetKernelsAVX2.Kernels.transpose)

    /// The CPU has what the AVX2 build uses.
    static let haswellCPU = pp_cpu_has_haswell_features() != 0

    /// The table for this CPU; `PREFLIGHT_KERNELS=baseline` forces the baseline (for comparing).
    static let current: KernelTable = {
        if let forced = getenv("PREFLIGHT_KERNELS"), String(cString: forced) == "baseline" { return baseline }
        return haswellCPU ? avx2 : baseline
    }()
}
