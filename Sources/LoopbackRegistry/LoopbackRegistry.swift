/// The `LoopbackRegistry` module. See docs/architecture.md.
public enum LoopbackRegistryModule {}
