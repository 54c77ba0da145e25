import Testing
@testable import Packing

@Suite struct PackingSmokeTests {
    @Test func moduleLinks() {
        _ = PackingModule.self
    }
}
