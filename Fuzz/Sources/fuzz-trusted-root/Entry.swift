// SwiftPM links executables with `main` aliased to `fuzz_trusted_root_main`; hand control to libFuzzer from there.
import FuzzSupport

@_cdecl("fuzz_trusted_root_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzOneInput)
}
