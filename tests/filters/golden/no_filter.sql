SELECT * FROM "synapses"
-- params: {}
