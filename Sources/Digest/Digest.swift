/// The `Digest` module. See docs/architecture.md.
public enum DigestModule {}
