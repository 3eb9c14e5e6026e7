// The shim for CPUs with AVX2 and FMA (Haswell, Zen and later): what the dispatcher loads when
// the CPU reports both, or when FACEGATE_SHIM=avx2. Flags: Package.swift, shimAVX2Flags.

#if !defined(__AVX2__) || !defined(__FMA__)
#error "the avx2 shim must be compiled with -mavx2 -mfma: the dispatcher picks it for those units"
#endif

#define FG_VARIANT_NAME "avx2"
#define FG_VARIANT_FLAGS "-O3 -march=x86-64-v2 -mavx2 -mfma (AVX2/FMA)"
#include "facegate_dlib_variant.inc"
