// The shim for any x86-64-v2 CPU (SSE4.2, no AVX): what the dispatcher loads when the CPU
// lacks AVX2 or FMA, or when FACEGATE_SHIM=baseline. Flags: Package.swift, shimBaselineFlags.

#if defined(__AVX__) || defined(__AVX2__) || defined(__FMA__)
#error "the baseline shim must not be compiled with AVX or FMA: it is what a CPU without them runs"
#endif

#define FG_VARIANT_NAME "baseline"
#define FG_VARIANT_FLAGS "-O3 -march=x86-64-v2 (SSE4.2, no AVX)"
#include "facegate_dlib_variant.inc"
