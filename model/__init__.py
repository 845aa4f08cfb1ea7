"""maskloop model layer: networks (network/), video sessions (session/), automatic masklets
(automask/), training (train/), metrics and the click annotator (metrics/), generated surgical-like
clips (synthetic/). It never imports storage/, ui_adapters/ or flows/; it takes and returns arrays.
"""
