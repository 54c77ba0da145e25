import Testing
@testable import Sigstore

@Suite struct SigstoreSmokeTests {
    @Test func moduleLinks() {
        _ = SigstoreModule.self
    }
}
