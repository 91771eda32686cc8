"size" <= $p0
-- params: {'p0': 0.5}
