SELECT "id" FROM "synapses"
WHERE ("ctr_pt_position"[1] BETWEEN $p0 AND $p1 AND "ctr_pt_position"[2] BETWEEN $p2 AND $p3 AND "ctr_pt_position"[3] BETWEEN $p4 AND $p5)
-- params: {'p0': 0, 'p1': 9, 'p2': 0, 'p3': 9, 'p4': 0, 'p5': 9}
