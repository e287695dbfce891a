def pytest_configure(config):
    config.addinivalue_line(
        "markers", "native: needs native speed (host only; the aarch64 suite runs under qemu)")
