#include "CCPUFeatures.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

int pp_cpu_has_haswell_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, movbe = 1u << 22, popcnt = 1u << 23, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | movbe | popcnt | osxsave | avx | f16c)) != (fma | movbe | popcnt | osxsave | avx | f16c)) return 0;
    /* The operating system saves the XMM and YMM registers (XCR0 bits 1 and 2). */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6u) != 6u) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned bmi1 = 1u << 3, avx2 = 1u << 5, bmi2 = 1u << 8;
    if ((b & (bmi1 | avx2 | bmi2)) != (bmi1 | avx2 | bmi2)) return 0;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return 0;
    const unsigned lzcnt = 1u << 5;
    return (c & lzcnt) ? 1 : 0;
}
#else
int pp_cpu_has_haswell_features(void) { return 0; }
#endif
