"""maskloop ui_adapters layer."""
