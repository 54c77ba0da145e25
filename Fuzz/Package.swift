// swift-tools-version:6.0
//
// libFuzzer harnesses for provcheck's parsers. A separate package so the normal build stays plain.
// Build (Linux, Swift 6.3):
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
//     -Xswiftc -enable-testing
// or simply `Scripts/fuzz.sh SECONDS [HARNESS...]` (builds, seeds and runs).
// Each harness is one executable target exporting `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`.
import PackageDescription

let harnesses = [
    "fuzz-gzip-tar", "fuzz-sri", "fuzz-packument", "fuzz-keys", "fuzz-bundle", "fuzz-trusted-root",
    "fuzz-certificate", "fuzz-checkpoint", "fuzz-canonical-json", "fuzz-lockfile", "fuzz-policy",
    "fuzz-http-response",
]

let package = Package(
    name: "provcheck-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "provcheck", path: "..")],
    targets: [.target(name: "FuzzSupport", path: "Sources/FuzzSupport")] + harnesses.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", .product(name: "ProvcheckKit", package: "provcheck")],
            path: "Sources/\(name)")
    }
)
