SELECT "id" FROM "synapses"
WHERE ("pre_pt_position_x" BETWEEN $p0 AND $p1 AND "pre_pt_position_y" BETWEEN $p2 AND $p3 AND "pre_pt_position_z" BETWEEN $p4 AND $p5)
-- params: {'p0': 0, 'p1': 100, 'p2': 0, 'p3': 200, 'p4': 0, 'p5': 30}
