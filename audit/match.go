package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/rules"
)

// sideRelation is the rules' name for a side's canonical rows.
var sideRelation = map[string]string{"marketplace": rules.MarketplaceRows, "insurer": rules.InsurerRows}

// The relations rules read are views over the canonical tables and a few
// narrow tables of keys and flags: the enrollment data itself is stored
// once, which keeps a national extract within memory.

// rowsSQL computes, for each loaded row of a side,
//   - occurrence: its rank among rows of the same (policy, member) by start;
//   - duplicate_of: file:line of the first row of that key when its coverage
//     overlaps an earlier live row of the key (a cancelled row covers nothing);
//   - overlapping_policy_id: another policy of the same member in this file
//     with overlapping live coverage (reported on the policy sorting last);
//   - is_policy_row: the row that speaks for the policy (the subscriber's,
//     current segment) in policy-grain rules;
//
// and makes the side's rule relation: the canonical row plus these. It is
// materialised once; buildRelations then keeps only the rejected rows in the
// canonical table, so a side's data is held once, not twice.
func rowsSQL(side string) string {
	canon := load.CanonTable(side)
	return fmt.Sprintf(`CREATE OR REPLACE TABLE %[2]s AS
WITH base AS (
  SELECT rowid AS row_id, exchange_policy_id, exchange_member_id, exchange_subscriber_id, benefit_start, benefit_end,
         effectuation_status, subscriber_indicator, relationship_code, source_file, source_line,
         effectuation_status IS DISTINCT FROM 'cancelled' AS live
  FROM %[1]s WHERE reject_reasons IS NULL
),
-- Nearly every (policy, member) has one row and nearly every member one
-- policy: ranking and overlap checks run only where there is more than one.
multi AS (
  SELECT exchange_policy_id, exchange_member_id FROM base GROUP BY ALL HAVING count(*) > 1
), ranked AS (
  SELECT b.row_id, b.live, b.benefit_start,
    row_number() OVER w AS occurrence,
    max(CASE WHEN b.live THEN coalesce(b.benefit_end, DATE '9999-12-31') END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
    first_value(b.source_file) OVER w AS first_file,
    first_value(b.source_line) OVER w AS first_line
  FROM base AS b SEMI JOIN multi AS x ON x.exchange_policy_id = b.exchange_policy_id AND x.exchange_member_id = b.exchange_member_id
  WINDOW w AS (PARTITION BY b.exchange_policy_id, b.exchange_member_id ORDER BY b.benefit_start NULLS LAST, b.source_file, b.source_line)
), dups AS (
  SELECT row_id, occurrence,
    CASE WHEN live AND prev_end >= coalesce(benefit_start, DATE '0001-01-01') THEN first_file || ':' || first_line END AS duplicate_of
  FROM ranked
), multi_policy AS (
  SELECT exchange_member_id FROM base WHERE live GROUP BY 1 HAVING count(DISTINCT exchange_policy_id) > 1
), candidates AS (
  SELECT b.* FROM base AS b SEMI JOIN multi_policy AS x ON x.exchange_member_id = b.exchange_member_id WHERE b.live
), overlapping AS (
  SELECT a.row_id, min(b.exchange_policy_id) AS overlapping_policy_id
  FROM candidates AS a JOIN candidates AS b
    ON a.exchange_member_id = b.exchange_member_id AND a.exchange_policy_id > b.exchange_policy_id
  WHERE coalesce(a.benefit_start, DATE '0001-01-01') <= coalesce(b.benefit_end, DATE '9999-12-31')
    AND coalesce(b.benefit_start, DATE '0001-01-01') <= coalesce(a.benefit_end, DATE '9999-12-31')
  GROUP BY a.row_id
), reps AS (
  -- The row that speaks for the policy: the subscriber's (by indicator,
  -- relationship or own ID), live, latest segment, first in the file.
  SELECT arg_min(row_id, {
      s: NOT coalesce(subscriber_indicator = 'Y', false), r: NOT coalesce(relationship_code = '18', false),
      o: NOT coalesce(exchange_member_id = exchange_subscriber_id, false), l: NOT live,
      b: -coalesce(epoch(benefit_start), -1e12), f: source_file, n: source_line}) AS row_id
  FROM base GROUP BY exchange_policy_id
)
SELECT c.rowid AS row_id, c.* EXCLUDE (reject_reasons), coalesce(d.occurrence, 1) AS occurrence, d.duplicate_of,
  o.overlapping_policy_id, r.row_id IS NOT NULL AS is_policy_row
FROM %[1]s AS c
LEFT JOIN dups AS d ON d.row_id = c.rowid
LEFT JOIN overlapping AS o ON o.row_id = c.rowid
LEFT JOIN reps AS r ON r.row_id = c.rowid
WHERE c.reject_reasons IS NULL`, canon, sideRelation[side])
}

// knownSQL records which policies and members each side has, rejected rows
// included (a policy whose rows were rejected is not "missing"), and which
// members have a rejected row. It reads the canonical tables whole, so it
// runs before they are emptied.
var knownSQL = []string{
	`CREATE OR REPLACE TEMP TABLE rejected_keys AS
	 SELECT DISTINCT exchange_policy_id, exchange_member_id FROM (
	   SELECT exchange_policy_id, exchange_member_id FROM canon_marketplace WHERE reject_reasons IS NOT NULL
	   UNION ALL SELECT exchange_policy_id, exchange_member_id FROM canon_insurer WHERE reject_reasons IS NOT NULL)`,
	`CREATE OR REPLACE TEMP TABLE known AS
	 SELECT 'marketplace' AS side, exchange_policy_id, exchange_member_id FROM canon_marketplace WHERE exchange_policy_id IS NOT NULL
	 UNION SELECT 'insurer', exchange_policy_id, exchange_member_id FROM canon_insurer WHERE exchange_policy_id IS NOT NULL`,
	`CREATE OR REPLACE TEMP TABLE known_policies AS
	 SELECT exchange_policy_id, bool_or(side = 'marketplace') AS in_m, bool_or(side = 'insurer') AS in_i FROM known GROUP BY ALL`,
	`CREATE OR REPLACE TEMP TABLE known_members AS
	 SELECT exchange_policy_id, exchange_member_id, bool_or(side = 'marketplace') AS in_m, bool_or(side = 'insurer') AS in_i FROM known GROUP BY ALL`,
}

// pairsSQL pairs the two sides' rows. Duplicates are left out, so a repeated
// row is reported once as a duplicate and never multiplies through the join.
// Segments of one member pair first on equal benefit start, then in order.
// Members with a rejected row on either side are not paired: they are
// accounted for in the rejects.
var pairsSQL = []string{
	pairSideSQL("mk", "marketplace"),
	pairSideSQL("ik", "insurer"),
	`CREATE OR REPLACE TEMP TABLE exact AS
	 SELECT m.row_id AS mrow, i.row_id AS irow FROM mk AS m JOIN ik AS i
	   ON m.pol = i.pol AND m.mem = i.mem AND m.bs = i.bs AND m.k = i.k`,
	`CREATE OR REPLACE TABLE member_keys AS
	 WITH lm AS (
	   SELECT row_id, pol, mem, bs, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM mk ANTI JOIN exact ON mk.row_id = exact.mrow
	 ), li AS (
	   SELECT row_id, pol, mem, bs, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM ik ANTI JOIN exact ON ik.row_id = exact.irow
	 ), paired AS (
	   SELECT e.mrow, e.irow, m.pol, m.mem, m.bs FROM exact AS e JOIN mk AS m ON m.row_id = e.mrow
	   UNION ALL
	   SELECT lm.row_id, li.row_id, coalesce(lm.pol, li.pol), coalesce(lm.mem, li.mem), coalesce(lm.bs, li.bs)
	   FROM lm FULL JOIN li ON lm.pol = li.pol AND lm.mem = li.mem AND lm.o = li.o
	 )
	 SELECT row_number() OVER () AS pair_id, p.mrow, p.irow, p.pol, p.mem,
	   row_number() OVER (PARTITION BY p.pol, p.mem ORDER BY p.bs NULLS LAST, coalesce(p.mrow, p.irow)) AS segment,
	   kp.in_m AS marketplace_has_policy, kp.in_i AS insurer_has_policy,
	   km.in_m AS marketplace_has_member, km.in_i AS insurer_has_member
	 FROM paired AS p
	 JOIN known_policies AS kp ON kp.exchange_policy_id = p.pol
	 JOIN known_members AS km ON km.exchange_policy_id = p.pol AND km.exchange_member_id = p.mem`,
	`CREATE OR REPLACE VIEW ` + rules.MemberPairs + ` AS ` + pairSelect(false, "m", "i", "", ""),
	`CREATE OR REPLACE TABLE policy_keys AS
	 WITH m AS (SELECT row_id, exchange_policy_id FROM ` + rules.MarketplaceRows + ` WHERE is_policy_row),
	      i AS (SELECT row_id, exchange_policy_id FROM ` + rules.InsurerRows + ` WHERE is_policy_row)
	 SELECT row_number() OVER () AS pair_id, m.row_id AS mrow, i.row_id AS irow, coalesce(m.exchange_policy_id, i.exchange_policy_id) AS pol,
	   kp.in_m AS marketplace_has_policy, kp.in_i AS insurer_has_policy
	 FROM m FULL JOIN i ON m.exchange_policy_id = i.exchange_policy_id
	 JOIN known_policies AS kp ON kp.exchange_policy_id = coalesce(m.exchange_policy_id, i.exchange_policy_id)`,
	`CREATE OR REPLACE VIEW ` + rules.PolicyPairs + ` AS ` + pairSelect(true, "m", "i", "", ""),
}

// pairSelect is the SELECT of a pair relation (policy grain or member
// grain). mStruct and iStruct are the expressions given as m and i: the whole
// row (m, i) or a narrower struct; lead adds leading columns and keys
// replaces the keys table (to start from the hits of a rule batch).
func pairSelect(policy bool, mStruct, iStruct, lead, keys string) string {
	table, member, segment := "member_keys", "k.mem", "k.segment"
	mHas, iHas := "k.marketplace_has_member", "k.insurer_has_member"
	if policy {
		table, member, segment = "policy_keys", "CAST(NULL AS VARCHAR)", "CAST(0 AS BIGINT)"
		mHas, iHas = "k.mrow IS NOT NULL", "k.irow IS NOT NULL"
	}
	if keys == "" {
		keys = table + " AS k"
	}
	return `SELECT ` + lead + `k.pair_id, k.pol AS exchange_policy_id, ` + member + ` AS exchange_member_id,
	   coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id, ` + segment + ` AS segment,
	   k.mrow IS NOT NULL AS in_marketplace, k.irow IS NOT NULL AS in_insurer,
	   k.marketplace_has_policy, k.insurer_has_policy, ` + mHas + ` AS marketplace_has_member, ` + iHas + ` AS insurer_has_member,
	   ` + mStruct + ` AS m, ` + iStruct + ` AS i
	 FROM ` + keys + `
	 LEFT JOIN ` + rules.MarketplaceRows + ` AS m ON m.row_id = k.mrow
	 LEFT JOIN ` + rules.InsurerRows + ` AS i ON i.row_id = k.irow`
}

// batchScan returns where a batch of rules on rel reads: for the pair
// relations, the conditions see m and i narrowed to the fields they read,
// so the scan of every pair does not carry both sides' whole rows.
func batchScan(rel string, refs map[string][]string) rules.Scan {
	hitsKeys := func(table string) string {
		return rules.HitsTable + " AS h JOIN " + table + " AS k ON k.pair_id = h.id"
	}
	switch rel {
	case rules.MemberPairs, rules.PolicyPairs:
		policy := rel == rules.PolicyPairs
		table := "member_keys"
		if policy {
			table = "policy_keys"
		}
		return rules.Scan{
			All:  pairSelect(policy, narrowStruct("m", refs["m"]), narrowStruct("i", refs["i"]), "", ""),
			Hits: pairSelect(policy, "m", "i", "h.item, ", hitsKeys(table)),
		}
	}
	return rules.Scan{
		All:  "SELECT * FROM " + rel,
		Hits: "SELECT h.item, r.* FROM " + rules.HitsTable + " AS h JOIN " + rel + " AS r ON r.row_id = h.id",
	}
}

// narrowStruct builds a struct of just the named columns of alias's row.
func narrowStruct(alias string, cols []string) string {
	parts := []string{"'row_id': " + alias + ".row_id"}
	for _, c := range cols {
		if c != "row_id" {
			parts = append(parts, "'"+c+"': "+alias+"."+c)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func pairSideSQL(name, side string) string {
	return `CREATE OR REPLACE TEMP TABLE ` + name + ` AS
	 SELECT c.row_id, c.exchange_policy_id AS pol, c.exchange_member_id AS mem, c.benefit_start AS bs,
	   row_number() OVER (PARTITION BY c.exchange_policy_id, c.exchange_member_id, c.benefit_start
	                      ORDER BY c.effectuation_status IS DISTINCT FROM 'cancelled' DESC, c.source_file, c.source_line) AS k
	 FROM ` + sideRelation[side] + ` AS c
	 ANTI JOIN rejected_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
	 WHERE c.duplicate_of IS NULL`
}

// buildRelations (re)creates every relation rules read. Run on empty
// canonical tables it gives the schema rules are compiled against.
func buildRelations(ctx context.Context, db execer) error {
	stmts := append([]string{}, knownSQL...)
	for _, side := range []string{"marketplace", "insurer"} {
		canon := load.CanonTable(side)
		stmts = append(stmts, rowsSQL(side))
		stmts = append(stmts, "CREATE OR REPLACE TABLE "+canon+" AS SELECT * FROM "+canon+" WHERE reject_reasons IS NOT NULL")
	}
	stmts = append(stmts, pairsSQL...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("match records: %w", err)
		}
	}
	return nil
}
