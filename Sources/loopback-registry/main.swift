import LoopbackRegistry
print("loopback-registry: not yet implemented")
