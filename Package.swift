// swift-tools-version:6.0
//
// provcheck: a supply-chain provenance verifier for npm packages.
//
// Module map (one concern each; data flows one way, see docs/architecture.md):
//   C wrappers:   COpenSSL, CZlib, CArchive (system libraries), CDeflate (our own deflate engine, C)
//   Library:      Digest → Archive → Compare
//                 Deflate → Packing
//                 Registry, Sigstore → NPMTrust
//                 Packing, Registry, Compare → Build (dependency install, sandboxed lifecycle build)
//                 Configuration (TOML, policy files) → Verification (the engine: pipeline, policies, verdicts)
//                 Verification → Reports (SARIF, VSA, DSSE signing)
//                 Lockfiles, Reports → Audit;  Reports → Watch → Staged
//   Executables:  provcheck (CLI), loopback-registry (test/demo registry server)
import PackageDescription

let package = Package(
    name: "provcheck",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ProvcheckKit", targets: [
            "JSON", "Digest", "Archive", "Registry", "Deflate", "Packing", "Compare",
            "Sigstore", "NPMTrust", "Build", "Configuration", "Verification", "Reports", "Lockfiles", "Audit", "Watch", "Staged",
        ]),
        .library(name: "LoopbackRegistry", targets: ["LoopbackRegistry"]),
        .executable(name: "provcheck", targets: ["provcheck"]),
        .executable(name: "loopback-registry", targets: ["loopback-registry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        // pnpm-lock.yaml is read with a real YAML parser (libyaml), as pnpm reads it with js-yaml.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        .target(name: "CDeflate", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: Library modules
        // provcheck's one JSON parser and writer, at the bottom: every document that carries trust goes through it.
        .target(name: "JSON"),
        .target(name: "Digest", dependencies: ["COpenSSL"]),
        .target(name: "Archive", dependencies: ["Digest", "CZlib", "CArchive"]),
        .target(name: "Registry", dependencies: ["JSON", "Digest", "Archive", "COpenSSL"]),
        .target(name: "Deflate", dependencies: ["Archive", "CDeflate", "CZlib", "Digest"]),
        .target(name: "Packing", dependencies: ["Digest", "Archive", "Deflate", "CZlib"]),
        .target(name: "Compare", dependencies: ["Digest", "Archive"]),
        .target(name: "Sigstore", dependencies: ["JSON", "Digest", "COpenSSL"]),
        .target(name: "NPMTrust", dependencies: ["JSON", "Digest", "Registry", "Sigstore", "COpenSSL"]),
        .target(name: "Build", dependencies: ["JSON", "Digest", "Archive", "Registry", "Packing", "Compare", "CArchive"]),
        // Policy and configuration files (the TOML reader, policy documents): below every module that reads them.
        .target(name: "Configuration", dependencies: ["JSON", "Digest"]),
        .target(name: "Verification", dependencies: [
            "Configuration", "JSON", "Digest", "Archive", "Registry", "Deflate", "Packing", "Compare", "Sigstore", "NPMTrust", "Build", "COpenSSL",
        ]),
        // SARIF, the SLSA VSA and DSSE signing: the documents a verdict is written into.
        .target(name: "Reports", dependencies: ["Verification", "Configuration", "JSON", "Digest", "Sigstore", "COpenSSL"]),
        // npm, yarn and pnpm lockfiles into one model; pnpm-lock.yaml is read with a real YAML parser (libyaml), as
        // pnpm reads it with js-yaml.
        .target(name: "Lockfiles", dependencies: ["JSON", "Digest", "Registry", .product(name: "Yams", package: "Yams")]),
        // `provcheck audit`: every package of a lockfile against its registry (docs/audit.md).
        .target(name: "Audit", dependencies: ["Verification", "Lockfiles", "Configuration", "Reports", "JSON", "Digest", "Registry", "NPMTrust"]),
        // `provcheck watch`: daily monitoring of packages, findings, state and shards (docs/watch.md).
        .target(name: "Watch", dependencies: ["Verification", "Configuration", "Reports", "JSON", "Digest", "Registry", "NPMTrust", "Packing"]),
        // `provcheck staged`: checks a staged publish before approval, on the verification pipeline (docs/staged.md).
        .target(name: "Staged", dependencies: [
            "Verification", "Watch", "Configuration", "JSON", "Digest", "Archive", "Registry", "Compare", "NPMTrust", "Packing",
        ]),
        .target(name: "LoopbackRegistry", dependencies: ["JSON", "Registry", "Digest", "COpenSSL"]),

        // MARK: Executables
        .executableTarget(name: "provcheck", dependencies: [
            "JSON", "Configuration", "Verification", "Reports", "Lockfiles", "Audit", "Watch", "Staged", "Digest", "Archive", "Registry", "Packing", "Compare", "Sigstore", "NPMTrust",
            "Deflate", "Build", "COpenSSL",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "loopback-registry", dependencies: ["LoopbackRegistry"]),

        // MARK: Tests (mirror the modules)
        .target(name: "TestSupport", dependencies: ["LoopbackRegistry", "Registry", "JSON", "Digest", "CZlib"], path: "Tests/TestSupport"),
        // Test data built from the verdict model, shared by VerificationTests and ReportsTests (TestSupport stays
        // below every module).
        .target(name: "VerdictSupport", dependencies: ["Verification"], path: "Tests/VerdictSupport"),
        .testTarget(name: "DigestTests", dependencies: ["Digest", "TestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["JSON", "Registry", "Digest", "LoopbackRegistry", "TestSupport"]),
        .testTarget(name: "DeflateTests", dependencies: ["Archive", "Deflate", "CZlib", "TestSupport"]),
        .testTarget(name: "PackingTests", dependencies: ["Packing", "Archive", "Digest", "TestSupport"]),
        .testTarget(name: "BuildTests", dependencies: ["JSON", "Build", "Packing", "Registry", "Digest", "LoopbackRegistry", "TestSupport"]),
        .testTarget(name: "CompareTests", dependencies: ["Compare", "Archive", "TestSupport"]),
        .testTarget(name: "SigstoreTests", dependencies: ["JSON", "Digest", "Sigstore", "TestSupport"]),
        .testTarget(name: "NPMTrustTests", dependencies: ["JSON", "NPMTrust", "Registry", "LoopbackRegistry", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["JSON", "Configuration", "Verification", "Reports", "Digest", "Sigstore", "NPMTrust", "LoopbackRegistry", "TestSupport", "VerdictSupport"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Watch", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: [
            "Reports", "Verification", "Configuration", "Sigstore", "TestSupport", "VerdictSupport",
        ]),
        .testTarget(name: "LockfilesTests", dependencies: ["Lockfiles", "TestSupport"]),
        .testTarget(name: "AuditTests", dependencies: [
            "Audit", "Lockfiles", "Configuration", "Verification", "Reports", "Digest", "Sigstore", "Registry", "NPMTrust", "LoopbackRegistry", "TestSupport",
        ]),
        .testTarget(name: "WatchTests", dependencies: [
            "Watch", "Verification", "Configuration", "JSON", "Digest", "Registry", "NPMTrust", "LoopbackRegistry", "TestSupport",
        ]),
        .testTarget(name: "StagedTests", dependencies: [
            "Staged", "Watch", "Configuration", "Verification", "Digest", "Registry", "LoopbackRegistry", "TestSupport",
        ]),
        .testTarget(name: "CLITests", dependencies: ["JSON", "LoopbackRegistry", "TestSupport"]),
    ]
)
