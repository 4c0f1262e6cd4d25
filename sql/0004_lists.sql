-- 0004_lists: the index every list statement of the domain API runs on:
-- newest first on the entity's order column, then id (docs/api.md).

CREATE INDEX idx_quests_list ON quests (user_id, created_at DESC, id DESC);
