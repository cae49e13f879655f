// swift-tools-version:6.0
// Hilo: a self-hosted human-feedback server that runs the whole RLHF loop on one machine.
// Targets depend downward only: HiloCLI (the `hilo` binary) -> Hilo -> {HTTP, Store, Engine} -> Support;
// Engine -> COpenBLAS; Store -> CSQLite.
import PackageDescription

let package = Package(
    name: "Hilo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hilo", targets: ["HiloCLI"]),
    ],
    dependencies: [
        // The command line parser (`hilo serve|import|export|train|…`).
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: module maps over Debian's libsqlite3-dev and libopenblas-dev.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),

        // The leaf every target may use: thread names, atomic file writes, SplitMix64, the JSON byte
        // writer and string quoter, the millisecond clock. Depends on nothing but Foundation.
        .target(name: "Support"),
        // Tensors on BLAS, GPT-2, tokenizer, safetensors, AdamW, generation, objectives, trainers.
        .target(name: "Engine", dependencies: ["COpenBLAS", "Support"]),
        // SQLite access, migrations from schema.sql, repositories, import and export formats.
        .target(name: "Store", dependencies: ["CSQLite", "Support"], resources: [.embedInCode("Schema/schema.sql")]),
        // HTTP/1.1 server on POSIX sockets: parser, connections, router, static files.
        .target(name: "HTTP", dependencies: ["Support"]),
        // The application: API handlers, auth, assignment, retraining scheduler, evaluation.
        .target(name: "Hilo", dependencies: ["Engine", "Store", "HTTP", "Support"], resources: [.copy("Starter")]),
        // The command line (Sources/CLI), built as the `hilo` binary.
        .executableTarget(name: "HiloCLI", dependencies: [
            "Hilo", "Engine", "Store", "HTTP", "Support",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/CLI"),

        // `eventually`: the tests' one way to wait for another thread, with one generous budget.
        .target(name: "TestHelpers", path: "Tests/TestHelpers"),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Support"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Support", "TestHelpers"], resources: [.copy("Fixtures")]),
        // Fuzz/ is the libFuzzer harness for the request parser, built by `make fuzz` with swiftc, not by SwiftPM.
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Support", "TestHelpers"], exclude: ["Fuzz"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HiloTests", dependencies: ["Hilo", "Store", "HTTP", "Engine", "Support", "TestHelpers"], resources: [.copy("Fixtures")]),
    ]
)
