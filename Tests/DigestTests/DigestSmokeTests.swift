import Testing
@testable import Digest

@Suite struct DigestSmokeTests {
    @Test func moduleLinks() {
        _ = DigestModule.self
    }
}
