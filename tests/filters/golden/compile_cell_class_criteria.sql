"post_cell"."cell_type" IN ($p0, $p1) AND "post_cell"."valid" = $p2 AND "post_cell"."size" < $p3
-- params: {'p0': 'sst', 'p1': 'pvalb', 'p2': True, 'p3': 0.5}
