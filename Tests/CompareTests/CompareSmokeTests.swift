import Testing
@testable import Compare

@Suite struct CompareSmokeTests {
    @Test func moduleLinks() {
        _ = CompareModule.self
    }
}
