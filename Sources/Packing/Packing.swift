/// The `Packing` module. See docs/architecture.md.
public enum PackingModule {}
