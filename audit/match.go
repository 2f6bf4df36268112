package audit

import (
	"context"
	"fmt"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/rules"
)

// sideRelation is the rules' name for a side's canonical rows.
var sideRelation = map[string]string{"marketplace": rules.MarketplaceRows, "insurer": rules.InsurerRows}

// rowsSQL derives a side's rule relation from its canonical table: loaded
// rows only, each with
//   - occurrence: its rank among rows of the same (policy, member) by start;
//   - duplicate_of: file:line of the first row of that key when its coverage
//     overlaps an earlier live row of the key (a cancelled row covers nothing);
//   - overlapping_policy_id: another policy of the same member in this file
//     with overlapping live coverage (reported on the policy sorting last);
//   - is_policy_row: the row that speaks for the policy (the subscriber's,
//     current segment) in policy-grain rules.
func rowsSQL(side string) string {
	canon := load.CanonTable(side)
	return fmt.Sprintf(`CREATE OR REPLACE TABLE %[1]s AS
WITH base AS (
  SELECT c.rowid AS row_id, c.* EXCLUDE (reject_reasons),
         effectuation_status IS DISTINCT FROM 'cancelled' AS live
  FROM %[2]s AS c WHERE reject_reasons IS NULL
), ranked AS (
  SELECT *,
    row_number() OVER (PARTITION BY exchange_policy_id, exchange_member_id ORDER BY benefit_start NULLS LAST, source_file, source_line) AS occurrence,
    max(CASE WHEN live THEN coalesce(benefit_end, DATE '9999-12-31') END) OVER (
      PARTITION BY exchange_policy_id, exchange_member_id ORDER BY benefit_start NULLS LAST, source_file, source_line
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
    first_value(source_file || ':' || source_line) OVER (
      PARTITION BY exchange_policy_id, exchange_member_id ORDER BY benefit_start NULLS LAST, source_file, source_line) AS first_src
  FROM base
), overlapping AS (
  SELECT a.row_id, min(b.exchange_policy_id) AS overlapping_policy_id
  FROM base AS a JOIN base AS b
    ON a.exchange_member_id = b.exchange_member_id AND a.exchange_policy_id > b.exchange_policy_id
  WHERE a.live AND b.live
    AND coalesce(a.benefit_start, DATE '0001-01-01') <= coalesce(b.benefit_end, DATE '9999-12-31')
    AND coalesce(b.benefit_start, DATE '0001-01-01') <= coalesce(a.benefit_end, DATE '9999-12-31')
  GROUP BY a.row_id
), flagged AS (
  SELECT r.* EXCLUDE (prev_end, first_src, live),
    CASE WHEN r.live AND r.prev_end >= coalesce(r.benefit_start, DATE '0001-01-01') THEN r.first_src END AS duplicate_of,
    o.overlapping_policy_id
  FROM ranked AS r LEFT JOIN overlapping AS o USING (row_id)
)
SELECT *,
  row_number() OVER (PARTITION BY exchange_policy_id ORDER BY
    subscriber_indicator = 'Y' DESC NULLS LAST, relationship_code = '18' DESC NULLS LAST, duplicate_of IS NULL DESC,
    effectuation_status IS DISTINCT FROM 'cancelled' DESC, benefit_start DESC NULLS LAST, source_file, source_line) = 1 AS is_policy_row
FROM flagged`, sideRelation[side], canon)
}

// pairsSQL pairs the two sides' rows. Duplicates are left out, so a repeated
// row is reported once as a duplicate and never multiplies through the join.
// Segments of one member pair first on equal benefit start, then in order.
// Members with a rejected row on either side are not paired: they are
// accounted for in the rejects.
var pairsSQL = []string{
	`CREATE OR REPLACE TEMP TABLE rejected_keys AS
	 SELECT DISTINCT exchange_policy_id, exchange_member_id FROM (
	   SELECT exchange_policy_id, exchange_member_id FROM canon_marketplace WHERE reject_reasons IS NOT NULL
	   UNION ALL SELECT exchange_policy_id, exchange_member_id FROM canon_insurer WHERE reject_reasons IS NOT NULL)`,
	`CREATE OR REPLACE TEMP TABLE known AS
	 SELECT 'marketplace' AS side, exchange_policy_id, exchange_member_id FROM canon_marketplace WHERE exchange_policy_id IS NOT NULL
	 UNION SELECT 'insurer', exchange_policy_id, exchange_member_id FROM canon_insurer WHERE exchange_policy_id IS NOT NULL`,
	pairSideSQL("mk", rules.MarketplaceRows),
	pairSideSQL("ik", rules.InsurerRows),
	`CREATE OR REPLACE TEMP TABLE exact AS
	 SELECT m.row_id AS mrow, i.row_id AS irow FROM mk AS m JOIN ik AS i
	   ON m.pol = i.pol AND m.mem = i.mem AND m.bs = i.bs AND m.k = i.k`,
	`CREATE OR REPLACE TEMP TABLE pair_keys AS
	 WITH lm AS (
	   SELECT row_id, pol, mem, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM mk WHERE row_id NOT IN (SELECT mrow FROM exact)
	 ), li AS (
	   SELECT row_id, pol, mem, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM ik WHERE row_id NOT IN (SELECT irow FROM exact)
	 )
	 SELECT mrow, irow FROM exact
	 UNION ALL
	 SELECT lm.row_id, li.row_id FROM lm FULL JOIN li ON lm.pol = li.pol AND lm.mem = li.mem AND lm.o = li.o`,
	`CREATE OR REPLACE TABLE ` + rules.MemberPairs + ` AS
	 WITH joined AS (
	   SELECT coalesce(m.exchange_policy_id, i.exchange_policy_id) AS exchange_policy_id,
	          coalesce(m.exchange_member_id, i.exchange_member_id) AS exchange_member_id,
	          coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id,
	          row_number() OVER (PARTITION BY coalesce(m.exchange_policy_id, i.exchange_policy_id), coalesce(m.exchange_member_id, i.exchange_member_id)
	                             ORDER BY coalesce(m.benefit_start, i.benefit_start) NULLS LAST, coalesce(m.row_id, i.row_id)) AS segment,
	          m.row_id IS NOT NULL AS in_marketplace, i.row_id IS NOT NULL AS in_insurer, m, i
	   FROM pair_keys AS pk
	   LEFT JOIN ` + rules.MarketplaceRows + ` AS m ON m.row_id = pk.mrow
	   LEFT JOIN ` + rules.InsurerRows + ` AS i ON i.row_id = pk.irow
	 )
	 SELECT j.exchange_policy_id, j.exchange_member_id, j.issuer_hios_id, j.segment, j.in_marketplace, j.in_insurer,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'marketplace' AND k.exchange_policy_id = j.exchange_policy_id) AS marketplace_has_policy,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'insurer' AND k.exchange_policy_id = j.exchange_policy_id) AS insurer_has_policy,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'marketplace' AND k.exchange_policy_id = j.exchange_policy_id AND k.exchange_member_id = j.exchange_member_id) AS marketplace_has_member,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'insurer' AND k.exchange_policy_id = j.exchange_policy_id AND k.exchange_member_id = j.exchange_member_id) AS insurer_has_member,
	   j.m, j.i
	 FROM joined AS j`,
	`CREATE OR REPLACE TABLE ` + rules.PolicyPairs + ` AS
	 WITH joined AS (
	   SELECT coalesce(m.exchange_policy_id, i.exchange_policy_id) AS exchange_policy_id,
	          coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id,
	          m.row_id IS NOT NULL AS in_marketplace, i.row_id IS NOT NULL AS in_insurer, m, i
	   FROM (SELECT * FROM ` + rules.MarketplaceRows + ` WHERE is_policy_row) AS m
	   FULL JOIN (SELECT * FROM ` + rules.InsurerRows + ` WHERE is_policy_row) AS i ON m.exchange_policy_id = i.exchange_policy_id
	 )
	 SELECT j.exchange_policy_id, CAST(NULL AS VARCHAR) AS exchange_member_id, j.issuer_hios_id, CAST(0 AS BIGINT) AS segment,
	   j.in_marketplace, j.in_insurer,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'marketplace' AND k.exchange_policy_id = j.exchange_policy_id) AS marketplace_has_policy,
	   EXISTS (SELECT 1 FROM known k WHERE k.side = 'insurer' AND k.exchange_policy_id = j.exchange_policy_id) AS insurer_has_policy,
	   j.in_marketplace AS marketplace_has_member, j.in_insurer AS insurer_has_member,
	   j.m, j.i
	 FROM joined AS j`,
}

func pairSideSQL(name, rel string) string {
	return `CREATE OR REPLACE TEMP TABLE ` + name + ` AS
	 SELECT row_id, exchange_policy_id AS pol, exchange_member_id AS mem, benefit_start AS bs,
	   row_number() OVER (PARTITION BY exchange_policy_id, exchange_member_id, benefit_start
	                      ORDER BY effectuation_status IS DISTINCT FROM 'cancelled' DESC, source_file, source_line) AS k
	 FROM ` + rel + ` AS r
	 WHERE duplicate_of IS NULL
	   AND NOT EXISTS (SELECT 1 FROM rejected_keys x WHERE x.exchange_policy_id = r.exchange_policy_id AND x.exchange_member_id = r.exchange_member_id)`
}

// buildRelations (re)creates every relation rules read. Run on empty
// canonical tables it gives the schema rules are compiled against.
func buildRelations(ctx context.Context, db execer) error {
	stmts := []string{rowsSQL("marketplace"), rowsSQL("insurer")}
	stmts = append(stmts, pairsSQL...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("match records: %w", err)
		}
	}
	return nil
}
