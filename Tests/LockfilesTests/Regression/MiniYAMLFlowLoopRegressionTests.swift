import Foundation
import Testing
import Lockfiles

/// Regression (libFuzzer, fuzz-lockfile, artifact timeout-96ccb981): a flow collection holding a character no rule
/// consumes (`]` inside `{…}`, `}` inside `[…]`) made MiniYAML's flow scanner loop forever, appending empty
/// items without bound. It is now a LockfileError naming the line.
@Suite struct MiniYAMLFlowLoopRegressionTests {
    static let file = URL(fileURLWithPath: "/regression/pnpm-lock.yaml")

    /// The fuzzer's input (first byte selected the pnpm parser; the rest is the file).
    static let fuzzInput = Data(base64Encoded: "oQJsb2NrZmlhLzEAeyJuYW1lIjoiYXBwIiwiLjAuMDoKICAgIHJlc29sdXRpb246IHtpbnR2ZXJzaW9uIjoiMS4wLjAiLCJsb2NrZmlsZVZlcnNpb24iOjMsInJlcXVpcmVzIjp0cnVlLCJwYWNrYWdlcyI6WyIiOnsibmFtY2tmaWxlVmVyc2lvbiI6MywicmVxdWlyZXMiOnRydWUsInBhY2thZ2VzIjp7IiI6eyJuYW1lIjoiYXBwIiwidmVyc2lvbiI6IjEuMC4wIiwiZGVwZW5kZW5jaWVzIsaMIm1zIjoiXjIuMS4zIn19LCJuZSI6ImFwcCIsInZlcnNpb24iOiIxLjAuMCIsImRlcGVuZGVuY2llcyLGjCJtcyI6Il4yLjEuMyJ9fSwibm9kZV9tb2R1bGVzL21zIjp7InZlcnNpb24iOiIyLjEuMyIsInJlc29sdmVkIjoiaHR0cHM6Ly9yZWdpcwAAAHRyeS5ucG1qcy5vcmcvbXMvLS9tcy0yZWdyL21zLy0vbXMtMi4xdWlyZXMiOnRyYWxsOiAiImh0dHBzOi8veC9hLnRnei4xLjMifQogICAgZGVwLg==")!

    @Test func fuzzerInputEndsInAnError() {
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: LockfileError.self) { try PnpmLockfileParser.parse(Self.fuzzInput.dropFirst(), file: Self.file) }
        #expect(clock.now - start < .seconds(5))
    }

    @Test(arguments: ["[}]", "{a: [b, }]}", "[a, }]", "[[}]]"])
    func strayClosersInFlowCollectionsAreErrors(_ flow: String) {
        let text = "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: \(flow)\n"
        #expect(throws: LockfileError.self) { try PnpmLockfileParser.parse(Data(text.utf8), file: Self.file) }
    }
}
