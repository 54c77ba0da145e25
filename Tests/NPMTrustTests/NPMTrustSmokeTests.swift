import Testing
@testable import NPMTrust

@Suite struct NPMTrustSmokeTests {
    @Test func moduleLinks() {
        _ = NPMTrustModule.self
    }
}
