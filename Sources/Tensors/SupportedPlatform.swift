// TaskVectorBench supports Linux on x86-64 only (Package.swift). Every module imports Tensors, so
// on another platform the build stops here, with the reason, instead of on the first unportable
// line (an AVX2 kernel, a glibc call, /proc).
#if !(os(Linux) && arch(x86_64))
#error("TaskVectorBench supports Linux on x86-64 only (AVX2/FMA/F16C kernels, glibc, /proc); see Package.swift")
#endif
