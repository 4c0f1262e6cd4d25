-- 0014_schedule_limits: what schedule rules may generate is bounded.
-- 50 rules of "* * * * *" (half a second of API calls) made the next
-- maintain create 50 000 quests in 47-130 s, and 3 000 an hour after.
-- Now a custom rule comes at most 96 times a day (the model), maintain
-- makes at most 500 quests a user a run, each run only what came since
-- the rule's last quest (db/maintain.c), and a user has at most 100
-- schedule rules: the 101st is refused here, under a lock of the
-- user's so that two at once cannot both take the last place. HINT
-- user_limit: passiond answers 422 with the message.
CREATE FUNCTION schedule_rules_limit() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended(NEW.user_id::text, 14));
	IF (SELECT count(*) FROM schedule_rules WHERE user_id = NEW.user_id)
	    >= 100 THEN
		RAISE EXCEPTION 'a user has at most 100 schedule rules; delete '
		    'one first' USING ERRCODE = '54000', HINT = 'user_limit';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER schedule_rules_limit BEFORE INSERT ON schedule_rules
	FOR EACH ROW EXECUTE FUNCTION schedule_rules_limit();
