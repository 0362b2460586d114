// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (DESIGN.md):
//   Bench → Methods → Tasks, Models → Tokenizers, ModelFormats, Tensors → CBLAS
//
// Supported platform: Linux on x86-64 only. CKernels is compiled for AVX2 + FMA + F16C, `bench`
// calls glibc (getrusage, mallopt, execv of /proc/self/exe) and reads /proc, and OpenBLAS comes
// from pkg-config. No Apple platform is declared because none is supported; the build stops with
// that reason elsewhere (Sources/Tensors/SupportedPlatform.swift, ckernels.h).
//
// The library modules are optimised in every configuration: the tests run real models (dequantising
// 135M weights, generating) and would take many minutes unoptimised. `-O` keeps preconditions and
// bounds checks (unlike `-Ounchecked`), so bad input traps instead of reading out of bounds;
// `@testable import` still works because debug builds add `-enable-testing`.
let libraryFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "TaskVectorBench",
    products: [
        .executable(name: "bench", targets: ["Bench"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Methods", targets: ["Methods"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: C shim (the only target that imports C)
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // Vector kernels over 16-bit weights. AVX2 + FMA + F16C is the project's CPU baseline.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c"])]),

        // MARK: Library modules
        .target(name: "Tensors", dependencies: ["CBLAS", "CKernels"], swiftSettings: libraryFlags),
        .target(name: "ModelFormats", swiftSettings: libraryFlags),
        .target(name: "Tokenizers", dependencies: ["ModelFormats"], swiftSettings: libraryFlags),
        .target(
            name: "Models",
            dependencies: ["Tensors", "ModelFormats", "Tokenizers"],
            swiftSettings: libraryFlags
        ),
        .target(name: "Tasks", dependencies: ["ModelFormats", "Tokenizers", "Tensors"], swiftSettings: libraryFlags),
        .target(name: "Methods", dependencies: ["Models", "Tasks", "Tensors"], swiftSettings: libraryFlags),

        // MARK: The `bench` executable
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Methods", "Models", "Tasks", "Tensors", "ModelFormats", "Tokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [],
            plugins: ["BuildVersion"]
        ),
        // Generates the `bench` binary's code version (`git describe`) before each build.
        .plugin(name: "BuildVersion", capability: .buildTool()),

        // MARK: Tests (one target per module; TestSupport holds shared helpers)
        .target(name: "TestSupport", dependencies: ["Tasks", "Tokenizers"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFormats", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensors", "ModelFormats", "TestSupport"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "Tokenizers", "TestSupport"]),
        .testTarget(name: "MethodsTests", dependencies: ["Methods", "Models", "Tasks", "Tokenizers", "TestSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "TestSupport"]),
        // The torch backend through its worker against the native engine; needs .venv-torch
        // (scripts/torch-env) and skips, saying so, without it. scripts/test-torch-worker runs it.
        .testTarget(
            name: "TorchBackendTests",
            dependencies: ["Methods", "Models", "Tasks", "Tensors", "ModelFormats", "Tokenizers", "TestSupport"]
        ),
        // Parity on real weights (SmolLM2, Gemma-3-270M); scripts/test fetches the models first.
        .testTarget(
            name: "RealModelTests",
            dependencies: ["Models", "Methods", "Tasks", "Tokenizers", "ModelFormats", "Tensors", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
