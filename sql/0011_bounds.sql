-- 0011_bounds: what an input could push past a column's range, and so
-- answer 500 for good (docs/api.md). A skill tree's totalXp was an
-- integer: after 2 147 rewards of the largest XP (1 000 000), or one
-- imported total of 2 147 483 647, every award of that user failed. It
-- is a bigint now; the model bounds it to 2^53 - 1 (a JSON number every
-- client reads exactly), and an award past that is refused.
ALTER TABLE skill_trees ALTER COLUMN total_xp TYPE bigint;
ALTER TABLE skill_trees ADD CONSTRAINT skill_trees_total_xp_max
	CHECK (total_xp <= 9007199254740991);
