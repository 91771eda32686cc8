SELECT "id" FROM "synapses"
WHERE ("valid" = $p0 OR "valid" IS NULL) AND NOT (regexp_matches("cell_type", $p1)) AND ("pre_pt_position_x" BETWEEN $p2 AND $p3 AND "pre_pt_position_y" BETWEEN $p4 AND $p5)
-- params: {'p0': True, 'p1': 'x', 'p2': 0, 'p3': 5, 'p4': 0, 'p5': 5}
