import Configuration
import Foundation
import Testing
import TestSupport
@testable import Verification
@testable import Watch

@Suite("Watch documentation examples")
struct WatchExampleTests {
    @Test("docs/examples/watch.json parses and its policy files load")
    func exampleConfiguration() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("docs/examples/watch.json")
        let configuration = try WatchConfiguration.load(contentsOf: url)
        #expect(configuration.packages.map(\.name) == ["gundam-visor", "@trishankatdatadog/supreme-goggles", "ms"])
        for path in configuration.packages.compactMap(\.policy) {
            _ = try PolicyDocument.load(contentsOf: URL(fileURLWithPath: path))
        }
    }

    @Test("the example workflow names every watch and merge flag it uses")
    func exampleWorkflow() throws {
        let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/provcheck-watch.yml"), encoding: .utf8)
        // It runs on provcheck's own action (action.yml), which writes the Markdown summary and uploads the SARIF.
        for needle in ["schedule:", "uses: provcheck/provcheck@", "command: watch", "--config", "--state state.json",
                       "sarif-file:", "exit-code", "--shard", "merge", "--state-output"] {
            #expect(text.contains(needle), "\(needle)")
        }
    }
}
