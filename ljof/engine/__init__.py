"""Engine: training hooks (the λ schedule of the Dynamic Structure Loss) and schedule helpers."""
