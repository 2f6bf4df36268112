package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/enrollaudit/enrollaudit/audit/synth"
)

// baselineSQL is what an analyst would write by hand in DuckDB for the same
// job on the generator's files: load both sides typed (the insurer's US
// dates, "$1,234.50" amounts and status words converted), set duplicates
// aside, join on policy and member, run the same comparisons and write the
// findings out. No rule engine, no rejects accounting, no workbook.
const baselineSQL = `
CREATE TABLE m AS SELECT * FROM read_csv({{marketplace}}, header = true, types = {'zip': 'VARCHAR', 'ssn': 'VARCHAR',
  'exchange_policy_id': 'VARCHAR', 'exchange_member_id': 'VARCHAR', 'exchange_subscriber_id': 'VARCHAR', 'relationship_code': 'VARCHAR'});
CREATE MACRO money(x) AS round(CAST(replace(replace(x, '$', ''), ',', '') AS DECIMAL(18,6)), 2);
CREATE TABLE i AS SELECT
  "Policy Number" AS exchange_policy_id, "Member ID" AS exchange_member_id, "Subscriber" AS subscriber_indicator,
  trim("Last Name") AS last_name, trim("First Name") AS first_name, CAST(strptime("DOB", '%m/%d/%Y') AS DATE) AS birth_date,
  CASE "Gender" WHEN 'Male' THEN 'M' WHEN 'Female' THEN 'F' ELSE 'U' END AS gender, replace("SSN", '-', '') AS ssn,
  replace("Plan", '-', '') AS qhp_id, "HIOS ID" AS issuer_hios_id,
  CAST(strptime("Coverage Start", '%m/%d/%Y') AS DATE) AS benefit_start, CAST(strptime("Coverage End", '%m/%d/%Y') AS DATE) AS benefit_end,
  lower("Status") AS effectuation_status, money("Total Premium") AS total_premium, money("Member Premium") AS member_premium,
  money("Monthly APTC") AS aptc_amount, money("Monthly CSR") AS csr_amount
FROM read_csv({{insurer}}, header = true, all_varchar = true);
CREATE TABLE dups AS
  SELECT 'marketplace' AS side, exchange_policy_id, exchange_member_id FROM m GROUP BY ALL HAVING count(*) > 1
  UNION ALL SELECT 'insurer', exchange_policy_id, exchange_member_id FROM i GROUP BY ALL HAVING count(*) > 1;
CREATE TABLE j AS
  SELECT coalesce(a.exchange_policy_id, b.exchange_policy_id) AS pol, coalesce(a.exchange_member_id, b.exchange_member_id) AS mem, a, b,
         a.exchange_policy_id IS NOT NULL AS in_m, b.exchange_policy_id IS NOT NULL AS in_i
  FROM (SELECT DISTINCT ON (exchange_policy_id, exchange_member_id) * FROM m) AS a
  FULL JOIN (SELECT DISTINCT ON (exchange_policy_id, exchange_member_id) * FROM i) AS b
    ON a.exchange_policy_id = b.exchange_policy_id AND a.exchange_member_id = b.exchange_member_id;
CREATE TABLE mp AS SELECT DISTINCT exchange_policy_id FROM m;
CREATE TABLE ip AS SELECT DISTINCT exchange_policy_id FROM i;
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
    AND (lower(a.first_name) IS DISTINCT FROM lower(b.first_name) OR lower(a.last_name) IS DISTINCT FROM lower(b.last_name)
      OR a.birth_date IS DISTINCT FROM b.birth_date OR a.gender IS DISTINCT FROM b.gender OR a.ssn <> b.ssn)
  UNION ALL SELECT 'duplicate_enrollment', exchange_policy_id, exchange_member_id FROM dups
  UNION ALL SELECT 'invalid_record', exchange_policy_id, exchange_member_id FROM m
    WHERE NOT regexp_full_match(qhp_id, '[0-9]{5}[A-Z]{2}[0-9]{7}0[0-6]') OR benefit_end < benefit_start OR aptc_amount > total_premium
  UNION ALL SELECT 'invalid_record', exchange_policy_id, exchange_member_id FROM i
    WHERE NOT regexp_full_match(qhp_id, '[0-9]{5}[A-Z]{2}[0-9]{7}0[0-6]') OR benefit_end < benefit_start OR aptc_amount > total_premium;
COPY (SELECT * FROM findings ORDER BY ALL) TO {{out}} (FORMAT csv, HEADER true);
`

func baseline(dir, memory string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	if memory != "" {
		if _, err := conn.ExecContext(context.Background(), "SET memory_limit = '"+memory+"'"); err != nil {
			return err
		}
	}
	q := strings.NewReplacer(
		"{{marketplace}}", quote(filepath.Join(dir, synth.MarketplaceFile)),
		"{{insurer}}", quote(filepath.Join(dir, synth.InsurerFile)),
		"{{out}}", quote(filepath.Join(dir, "baseline-findings.csv")),
	).Replace(baselineSQL)
	for _, stmt := range strings.Split(q, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			return fmt.Errorf("%w\nin: %.200s", err, strings.TrimSpace(stmt))
		}
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
