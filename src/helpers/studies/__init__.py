"""One package per study: params -> measures -> models -> estimate -> findings/verdicts -> summarise. Studies do not import each other."""
