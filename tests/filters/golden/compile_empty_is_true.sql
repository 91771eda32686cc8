TRUE
-- params: {}
