"""One package per study: measures -> models -> figures -> summarise(). Studies do not import each other."""
