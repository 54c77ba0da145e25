/// The `NPMTrust` module. See docs/architecture.md.
public enum NPMTrustModule {}
