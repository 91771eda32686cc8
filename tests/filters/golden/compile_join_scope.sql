"pre_cell"."cell_type" = $p0 AND "post_cell"."cell_type" IN ($p1, $p2) AND "syn"."size" <= $p3
-- params: {'p0': 'sst', 'p1': 'pv', 'p2': 'vip', 'p3': 3}
