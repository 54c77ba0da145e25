import Testing
@testable import Registry

@Suite struct RegistrySmokeTests {
    @Test func moduleLinks() {
        _ = RegistryModule.self
    }
}
