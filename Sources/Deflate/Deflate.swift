/// The `Deflate` module. See docs/architecture.md.
public enum DeflateModule {}
