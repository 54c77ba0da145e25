// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Lockfiles

/// The first byte picks the parser (npm package-lock, yarn.lock, pnpm-lock.yaml); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    guard count > 0 else { return 0 }
    let data = Data(bytes: bytes + 1, count: count - 1)
    switch bytes[0] % 3 {
    case 0: _ = try? NPMLockfileParser.parse(data, file: URL(fileURLWithPath: "/fuzz/package-lock.json"))
    case 1: _ = try? YarnLockfileParser.parse(data, file: URL(fileURLWithPath: "/fuzz/yarn.lock"))
    default: _ = try? PnpmLockfileParser.parse(data, file: URL(fileURLWithPath: "/fuzz/pnpm-lock.yaml"))
    }
    return 0
}
