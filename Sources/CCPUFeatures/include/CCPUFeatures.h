#ifndef CCPUFEATURES_H
#define CCPUFEATURES_H

/// 1 when the CPU and the operating system support what code built for Haswell (-target-cpu
/// haswell) may use: AVX and AVX2 with the YMM state enabled (XSAVE/XGETBV), FMA, F16C, MOVBE,
/// BMI1, BMI2, LZCNT and POPCNT. 0 otherwise, and on every other architecture.
int pp_cpu_has_haswell_features(void);

#endif
