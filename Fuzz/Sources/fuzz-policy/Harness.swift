// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Configuration
import Foundation
import FuzzSupport
import Configuration

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    _ = try? PolicyDocument.parse(Data(bytes: bytes, count: count), source: "fuzz-policy.json")
    return 0
}
