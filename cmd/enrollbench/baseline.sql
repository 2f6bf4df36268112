CREATE TABLE dups AS
  SELECT 'marketplace' AS side, exchange_policy_id, exchange_member_id FROM m GROUP BY ALL HAVING count(*) > 1
  UNION ALL SELECT 'insurer', exchange_policy_id, exchange_member_id FROM i GROUP BY ALL HAVING count(*) > 1;
CREATE TABLE j AS
  SELECT coalesce(a.exchange_policy_id, b.exchange_policy_id) AS pol, coalesce(a.exchange_member_id, b.exchange_member_id) AS mem, a, b,
         a.exchange_policy_id IS NOT NULL AS in_m, b.exchange_policy_id IS NOT NULL AS in_i
  FROM (SELECT DISTINCT ON (exchange_policy_id, exchange_member_id) * FROM m) AS a
  FULL JOIN (SELECT DISTINCT ON (exchange_policy_id, exchange_member_id) * FROM i) AS b
    ON a.exchange_policy_id = b.exchange_policy_id AND a.exchange_member_id = b.exchange_member_id;
CREATE TABLE findings AS
  SELECT 'missing_enrollment' AS category, pol, mem FROM j WHERE in_m AND NOT in_i AND a.effectuation_status IN ('effectuated', 'pending')
  UNION ALL SELECT 'unknown_enrollment', pol, mem FROM j WHERE in_i AND NOT in_m
  UNION ALL SELECT 'wrong_plan', pol, NULL FROM j WHERE in_m AND in_i AND a.subscriber_indicator = 'Y' AND a.qhp_id <> b.qhp_id
  UNION ALL SELECT 'wrong_subsidy', pol, NULL FROM j WHERE in_m AND in_i AND a.subscriber_indicator = 'Y'
    AND (a.aptc_amount IS DISTINCT FROM b.aptc_amount OR a.csr_amount IS DISTINCT FROM b.csr_amount)
  UNION ALL SELECT 'wrong_premium', pol, NULL FROM j WHERE in_m AND in_i AND a.subscriber_indicator = 'Y' AND a.total_premium IS DISTINCT FROM b.total_premium
  UNION ALL SELECT 'wrong_premium', pol, mem FROM j WHERE in_m AND in_i AND a.member_premium IS DISTINCT FROM b.member_premium
  UNION ALL SELECT 'wrong_coverage_dates', pol, mem FROM j WHERE in_m AND in_i
    AND (a.benefit_start IS DISTINCT FROM b.benefit_start OR a.benefit_end IS DISTINCT FROM b.benefit_end)
  UNION ALL SELECT 'wrong_status', pol, mem FROM j WHERE in_m AND in_i AND a.effectuation_status IS DISTINCT FROM b.effectuation_status
  UNION ALL SELECT 'wrong_demographics', pol, mem FROM j WHERE in_m AND in_i
    AND (a.first_name IS DISTINCT FROM b.first_name OR a.last_name IS DISTINCT FROM b.last_name
      OR a.birth_date IS DISTINCT FROM b.birth_date OR a.gender IS DISTINCT FROM b.gender OR a.ssn <> b.ssn)
  UNION ALL SELECT 'duplicate_enrollment', exchange_policy_id, exchange_member_id FROM dups
  UNION ALL SELECT 'invalid_record', exchange_policy_id, exchange_member_id FROM m
    WHERE NOT regexp_full_match(qhp_id, '[0-9]{5}[A-Z]{2}[0-9]{7}0[0-6]') OR benefit_end < benefit_start OR aptc_amount > total_premium
  UNION ALL SELECT 'invalid_record', exchange_policy_id, exchange_member_id FROM i
    WHERE NOT regexp_full_match(qhp_id, '[0-9]{5}[A-Z]{2}[0-9]{7}0[0-6]') OR benefit_end < benefit_start OR aptc_amount > total_premium;
COPY (SELECT * FROM findings ORDER BY ALL) TO {{out}} (FORMAT csv, HEADER true);
