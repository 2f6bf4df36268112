package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/rules"
)

// sideRelation is the rules' name for a side's canonical rows.
var sideRelation = map[string]string{"marketplace": rules.MarketplaceRows, "insurer": rules.InsurerRows}

// The relations rules read are views over the canonical tables and narrow
// tables of keys: the enrollment data itself is stored once, and nothing
// costs a pass over every row that only a few rows need. Nearly every
// (policy, member) has one row a side, nearly every member one policy and
// nearly every policy one subscriber row; the matching work is sized by
// the exceptions, found with one aggregate each.

// flagColumns are added to each canonical table; matching fills them in
// for the few rows that need a value, and the rows views give the rest
// their usual value.
var flagColumns = []string{
	"occurrence BIGINT",             // rank among rows of the same (policy, member); NULL: the only one
	"duplicate_of VARCHAR",          // file:line of the key's first row, when this row repeats its coverage
	"overlapping_policy_id VARCHAR", // another policy of the member with overlapping live coverage
	"policy_row BOOLEAN",            // set for every row of a policy without exactly one subscriber row
}

// rowsViewSQL is a side's rule relation: its loaded rows with row_id,
// source_file and source_line (file and line are the expressions of
// load.SourceSQL) and the flags (occurrence, duplicate_of,
// overlapping_policy_id, is_policy_row: the row that speaks for the policy
// in policy-grain rules).
func rowsViewSQL(side, file, line string) string {
	return `CREATE OR REPLACE VIEW ` + sideRelation[side] + ` AS
	 SELECT rowid AS row_id, ` + strings.Join(canonical.Names(), ", ") + `, ` + file + ` AS source_file, ` + line + ` AS source_line,
	   coalesce(occurrence, 1) AS occurrence, duplicate_of, overlapping_policy_id,
	   coalesce(policy_row, subscriber_indicator = 'Y', false) AS is_policy_row
	 FROM ` + load.CanonTable(side) + ` WHERE reject_reasons IS NULL`
}

// createRowsViews (re)creates both sides' rows views for the files loaded
// so far.
func createRowsViews(ctx context.Context, db execer) error {
	file, line, err := load.SourceSQL(ctx, db)
	if err != nil {
		return err
	}
	for _, side := range []string{"marketplace", "insurer"} {
		if _, err := db.ExecContext(ctx, rowsViewSQL(side, file, line)); err != nil {
			return fmt.Errorf("prepare relations: %w", err)
		}
	}
	return nil
}

// flagsSQL finds the rows of a side that need a flag and sets them:
//   - keys (policy, member) with more than one row get each row's
//     occurrence (by start), and duplicate_of when a row's coverage overlaps
//     an earlier live row of the key (a cancelled row covers nothing);
//   - members on more than one live policy get overlapping_policy_id where
//     coverage overlaps (reported on the policy sorting last);
//   - policies without exactly one subscriber-indicator row get policy_row
//     on every row, true for the subscriber's (by indicator, relationship or
//     own ID), live, latest segment, first in the file. A policy with
//     exactly one such row needs nothing: that row ranks first anyway.
func flagsSQL(side string) []string {
	canon, s := load.CanonTable(side), side
	base := `SELECT row_id, exchange_policy_id, exchange_member_id, exchange_subscriber_id, benefit_start, benefit_end,
	   effectuation_status, subscriber_indicator, relationship_code, source_file, source_line,
	   effectuation_status IS DISTINCT FROM 'cancelled' AS live
	 FROM ` + sideRelation[side]
	return []string{
		// Members with more than one row: the only ones that can repeat a
		// key or sit on several policies. One aggregate over every row finds
		// them; the rest looks at their rows only.
		`CREATE OR REPLACE TEMP TABLE repeated_` + s + ` AS
		 SELECT exchange_member_id, count(*) AS n FROM ` + canon + ` WHERE reject_reasons IS NULL GROUP BY ALL HAVING count(*) > 1`,
		`CREATE OR REPLACE TEMP TABLE multi_` + s + ` AS
		 SELECT c.exchange_policy_id, c.exchange_member_id FROM ` + canon + ` AS c
		 SEMI JOIN repeated_` + s + ` AS r ON r.exchange_member_id = c.exchange_member_id
		 WHERE c.reject_reasons IS NULL GROUP BY ALL HAVING count(*) > 1`,
		`CREATE OR REPLACE TEMP TABLE flags_` + s + ` AS
		 WITH base AS NOT MATERIALIZED (` + base + `),
		 ranked AS (
		   SELECT b.row_id, b.live, b.benefit_start,
		     row_number() OVER w AS occurrence,
		     max(CASE WHEN b.live THEN coalesce(b.benefit_end, DATE '9999-12-31') END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
		     first_value(b.source_file) OVER w AS first_file,
		     first_value(b.source_line) OVER w AS first_line
		   FROM base AS b SEMI JOIN multi_` + s + ` AS x ON x.exchange_policy_id = b.exchange_policy_id AND x.exchange_member_id = b.exchange_member_id
		   WINDOW w AS (PARTITION BY b.exchange_policy_id, b.exchange_member_id ORDER BY b.benefit_start NULLS LAST, b.source_file, b.source_line)
		 ), candidates AS (
		   -- The join below keeps pairs of rows on different policies. It
		   -- grows with the square of a member's rows: an ID on thousands of
		   -- rows is not one person's (crowdedMembers warns about them).
		   SELECT b.* FROM base AS b
		   SEMI JOIN (SELECT exchange_member_id FROM repeated_` + s + ` WHERE n <= ` + strconv.Itoa(maxMemberRows) + `) AS x
		     ON x.exchange_member_id = b.exchange_member_id
		   WHERE b.live
		 ), overlapping AS (
		   SELECT a.row_id, min(b.exchange_policy_id) AS overlapping_policy_id
		   FROM candidates AS a JOIN candidates AS b
		     ON a.exchange_member_id = b.exchange_member_id AND a.exchange_policy_id > b.exchange_policy_id
		   WHERE coalesce(a.benefit_start, DATE '0001-01-01') <= coalesce(b.benefit_end, DATE '9999-12-31')
		     AND coalesce(b.benefit_start, DATE '0001-01-01') <= coalesce(a.benefit_end, DATE '9999-12-31')
		   GROUP BY a.row_id
		 ), unclear AS (
		   SELECT exchange_policy_id FROM base GROUP BY 1 HAVING count(*) FILTER (WHERE subscriber_indicator = 'Y') <> 1
		 ), unclear_rows AS (
		   SELECT b.* FROM base AS b SEMI JOIN unclear AS u ON u.exchange_policy_id = b.exchange_policy_id
		 ), reps AS (
		   SELECT arg_min(row_id, {
		       s: NOT coalesce(subscriber_indicator = 'Y', false), r: NOT coalesce(relationship_code = '18', false),
		       o: NOT coalesce(exchange_member_id = exchange_subscriber_id, false), l: NOT live,
		       b: -coalesce(epoch(benefit_start), -1e12), f: source_file, n: source_line}) AS row_id
		   FROM unclear_rows GROUP BY exchange_policy_id
		 )
		 SELECT row_id, max(occurrence) AS occurrence, max(duplicate_of) AS duplicate_of,
		   max(overlapping_policy_id) AS overlapping_policy_id, bool_or(policy_row) AS policy_row
		 FROM (
		   SELECT row_id, occurrence, CASE WHEN live AND prev_end >= coalesce(benefit_start, DATE '0001-01-01') THEN first_file || ':' || first_line END AS duplicate_of,
		     NULL AS overlapping_policy_id, NULL AS policy_row FROM ranked
		   UNION ALL SELECT row_id, NULL, NULL, overlapping_policy_id, NULL FROM overlapping
		   UNION ALL SELECT u.row_id, NULL, NULL, NULL, r.row_id IS NOT NULL FROM unclear_rows AS u LEFT JOIN reps AS r ON r.row_id = u.row_id
		 ) GROUP BY row_id`,
		`UPDATE ` + canon + ` AS c SET occurrence = f.occurrence, duplicate_of = f.duplicate_of,
		   overlapping_policy_id = f.overlapping_policy_id, policy_row = f.policy_row
		 FROM flags_` + s + ` AS f WHERE c.rowid = f.row_id`,
	}
}

// maxMemberRows is the most rows one member ID may have for the check of
// overlapping policies: a person has a few policies and segments a year,
// while an ID on thousands of rows (member numbers given per policy, 01,
// 02, ...) would pair every one of its rows with every other.
const maxMemberRows = 1000

// crowdedMembers says, per side, how many member IDs have more rows than
// the check of overlapping policies looks at (run after buildRelations).
func crowdedMembers(ctx context.Context, db execer) ([]string, error) {
	var warnings []string
	for _, side := range []string{"marketplace", "insurer"} {
		var ids, most int64
		q := fmt.Sprintf("SELECT count(*), coalesce(max(n), 0) FROM repeated_%s WHERE n > %d", side, maxMemberRows)
		if err := db.QueryRowContext(ctx, q).Scan(&ids, &most); err != nil {
			return nil, fmt.Errorf("count member rows: %w", err)
		}
		if ids > 0 {
			warnings = append(warnings, fmt.Sprintf("%s data: %d member IDs have more than %d rows each (up to %d), too many for one person: "+
				"members on overlapping policies are not looked for among them; check that exchange_member_id is mapped to the exchange's member ID, not a number within the policy",
				side, ids, maxMemberRows, most))
		}
	}
	return warnings, nil
}

// keysSQL pairs the two sides' rows: policy_keys the rows that speak for
// each policy, member_keys each member's coverage segments. Members with a
// rejected row on either side are not paired: they are accounted for in the
// rejects. Keys with one row a side (nearly all) pair in one join; the
// others pair segment by segment, first on equal benefit start, then in
// order, with duplicates left out so a repeated row is reported once as a
// duplicate and never multiplies through the join. pair_id is the
// marketplace row's id, or the insurer row's offset past any marketplace id.
var keysSQL = []string{
	`CREATE OR REPLACE TEMP TABLE rejected_keys AS
	 SELECT DISTINCT exchange_policy_id, exchange_member_id FROM (
	   SELECT exchange_policy_id, exchange_member_id FROM canon_marketplace WHERE reject_reasons IS NOT NULL
	   UNION ALL SELECT exchange_policy_id, exchange_member_id FROM canon_insurer WHERE reject_reasons IS NOT NULL)`,
	// A policy whose rows were all rejected on one side is not "missing" there.
	`CREATE OR REPLACE TEMP TABLE rejected_policies AS
	 SELECT exchange_policy_id, bool_or(side = 'marketplace') AS in_m, bool_or(side = 'insurer') AS in_i FROM (
	   SELECT 'marketplace' AS side, exchange_policy_id FROM canon_marketplace WHERE reject_reasons IS NOT NULL
	   UNION ALL SELECT 'insurer', exchange_policy_id FROM canon_insurer WHERE reject_reasons IS NOT NULL)
	 WHERE exchange_policy_id IS NOT NULL GROUP BY ALL`,
	`CREATE OR REPLACE TABLE policy_keys AS
	 WITH m AS (SELECT row_id, exchange_policy_id, issuer_hios_id FROM ` + rules.MarketplaceRows + ` WHERE is_policy_row),
	      i AS (SELECT row_id, exchange_policy_id, issuer_hios_id FROM ` + rules.InsurerRows + ` WHERE is_policy_row)
	 SELECT coalesce(m.row_id, (CAST(1 AS BIGINT) << 40) + i.row_id) AS pair_id, m.row_id AS mrow, i.row_id AS irow,
	   coalesce(m.exchange_policy_id, i.exchange_policy_id) AS pol, coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id,
	   m.row_id IS NOT NULL OR coalesce(r.in_m, false) AS marketplace_has_policy,
	   i.row_id IS NOT NULL OR coalesce(r.in_i, false) AS insurer_has_policy
	 FROM m FULL JOIN i ON m.exchange_policy_id = i.exchange_policy_id
	 LEFT JOIN rejected_policies AS r ON r.exchange_policy_id = coalesce(m.exchange_policy_id, i.exchange_policy_id)`,
	// The policies one side lacks: few, so member pairs look them up in a
	// small table rather than joining every pair to every policy.
	`CREATE OR REPLACE TEMP TABLE lacking_policies AS
	 SELECT pol, NOT marketplace_has_policy AS m_lacks, NOT insurer_has_policy AS i_lacks
	 FROM policy_keys WHERE NOT (marketplace_has_policy AND insurer_has_policy)`,
	`CREATE OR REPLACE TEMP TABLE segmented_keys AS
	 SELECT exchange_policy_id, exchange_member_id FROM multi_marketplace UNION SELECT exchange_policy_id, exchange_member_id FROM multi_insurer`,
	`CREATE OR REPLACE TEMP TABLE unpaired_keys AS
	 SELECT exchange_policy_id, exchange_member_id FROM segmented_keys UNION SELECT exchange_policy_id, exchange_member_id FROM rejected_keys`,
	segmentSideSQL("mk", "marketplace"),
	segmentSideSQL("ik", "insurer"),
	`CREATE OR REPLACE TABLE member_keys AS
	 WITH exact AS (
	   SELECT m.row_id AS mrow, i.row_id AS irow FROM mk AS m JOIN ik AS i
	     ON m.pol = i.pol AND m.mem = i.mem AND m.bs = i.bs AND m.k = i.k
	 ), lm AS (
	   SELECT *, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM mk ANTI JOIN exact ON mk.row_id = exact.mrow
	 ), li AS (
	   SELECT *, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
	   FROM ik ANTI JOIN exact ON ik.row_id = exact.irow
	 ), segmented AS (
	   SELECT mrow, irow, pol,
	     row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, coalesce(mrow, irow)) AS segment,
	     bool_or(mrow IS NOT NULL) OVER (PARTITION BY pol, mem) AS m_has, bool_or(irow IS NOT NULL) OVER (PARTITION BY pol, mem) AS i_has
	   FROM (
	     SELECT e.mrow, e.irow, m.pol, m.mem, m.bs FROM exact AS e JOIN mk AS m ON m.row_id = e.mrow
	     UNION ALL
	     SELECT lm.row_id, li.row_id, coalesce(lm.pol, li.pol), coalesce(lm.mem, li.mem), coalesce(lm.bs, li.bs)
	     FROM lm FULL JOIN li ON lm.pol = li.pol AND lm.mem = li.mem AND lm.o = li.o)
	 ), m AS (
	   SELECT row_id, exchange_policy_id, exchange_member_id FROM ` + rules.MarketplaceRows + ` AS c
	   ANTI JOIN unpaired_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
	 ), i AS (
	   SELECT row_id, exchange_policy_id, exchange_member_id FROM ` + rules.InsurerRows + ` AS c
	   ANTI JOIN unpaired_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
	 ), paired AS (
	   SELECT m.row_id AS mrow, i.row_id AS irow, coalesce(m.exchange_policy_id, i.exchange_policy_id) AS pol,
	     CAST(1 AS BIGINT) AS segment, m.row_id IS NOT NULL AS m_has, i.row_id IS NOT NULL AS i_has
	   FROM m FULL JOIN i ON m.exchange_policy_id = i.exchange_policy_id AND m.exchange_member_id = i.exchange_member_id
	   UNION ALL SELECT * FROM segmented
	 )
	 SELECT coalesce(p.mrow, (CAST(1 AS BIGINT) << 40) + p.irow) AS pair_id, p.mrow, p.irow, p.segment,
	   NOT coalesce(l.m_lacks, false) AS marketplace_has_policy, NOT coalesce(l.i_lacks, false) AS insurer_has_policy,
	   p.m_has AS marketplace_has_member, p.i_has AS insurer_has_member
	 FROM paired AS p LEFT JOIN lacking_policies AS l ON l.pol = p.pol`,
	`CREATE OR REPLACE VIEW ` + rules.MemberPairs + ` AS ` + pairSelect(false, "m", "i", false),
	`CREATE OR REPLACE VIEW ` + rules.PolicyPairs + ` AS ` + pairSelect(true, "m", "i", false),
}

// segmentSideSQL lists a side's rows of keys paired segment by segment, k
// numbering the rows of one start (live first).
func segmentSideSQL(name, side string) string {
	return `CREATE OR REPLACE TEMP TABLE ` + name + ` AS
	 SELECT c.row_id, c.exchange_policy_id AS pol, c.exchange_member_id AS mem, c.benefit_start AS bs,
	   row_number() OVER (PARTITION BY c.exchange_policy_id, c.exchange_member_id, c.benefit_start
	                      ORDER BY c.effectuation_status IS DISTINCT FROM 'cancelled' DESC, c.source_file, c.source_line) AS k
	 FROM ` + sideRelation[side] + ` AS c
	 SEMI JOIN segmented_keys AS s ON s.exchange_policy_id = c.exchange_policy_id AND s.exchange_member_id = c.exchange_member_id
	 ANTI JOIN rejected_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
	 WHERE c.duplicate_of IS NULL`
}

// pairSelect is the SELECT of a pair relation (policy grain or member
// grain). mStruct and iStruct are what it gives as m and i: the whole rows
// (m, i), or narrower structs of them. With hits it selects only the pairs
// in rules.HitsTable, with their item number first.
func pairSelect(policy bool, mStruct, iStruct string, hits bool) string {
	// Member pairs take their keys from their rows: member_keys stays a
	// table of numbers, cheap to write and to scan.
	table, segment := "member_keys", "k.segment"
	pol, member, issuer := "coalesce(m.exchange_policy_id, i.exchange_policy_id)", "coalesce(m.exchange_member_id, i.exchange_member_id)",
		"coalesce(m.issuer_hios_id, i.issuer_hios_id)"
	mHas, iHas := "k.marketplace_has_member", "k.insurer_has_member"
	if policy {
		table, pol, member, issuer, segment = "policy_keys", "k.pol", "CAST(NULL AS VARCHAR)", "k.issuer_hios_id", "CAST(0 AS BIGINT)"
		mHas, iHas = "k.mrow IS NOT NULL", "k.irow IS NOT NULL"
	}
	with, lead, keys := "", "", table
	// Policy pairs only ever meet policy rows: a smaller side to join.
	mRows, iRows := rules.MarketplaceRows, rules.InsurerRows
	if policy {
		mRows, iRows = "(SELECT * FROM "+mRows+" WHERE is_policy_row)", "(SELECT * FROM "+iRows+" WHERE is_policy_row)"
	}
	if hits {
		// Findings are built for a few pairs: their rows are picked out of
		// each side first, so the joins are sized by the hits.
		with = "WITH hk AS MATERIALIZED (SELECT h.item, k.* FROM " + rules.HitsTable + " AS h JOIN " + table + " AS k ON k.pair_id = h.id) "
		lead, keys = "k.item, ", "hk"
		mRows = "(SELECT * FROM " + mRows + " WHERE row_id IN (SELECT mrow FROM hk))"
		iRows = "(SELECT * FROM " + iRows + " WHERE row_id IN (SELECT irow FROM hk))"
	}
	return with + `SELECT ` + lead + `k.pair_id, ` + pol + ` AS exchange_policy_id, ` + member + ` AS exchange_member_id, ` + issuer + ` AS issuer_hios_id, ` + segment + ` AS segment,
	   k.mrow IS NOT NULL AS in_marketplace, k.irow IS NOT NULL AS in_insurer,
	   k.marketplace_has_policy, k.insurer_has_policy, ` + mHas + ` AS marketplace_has_member, ` + iHas + ` AS insurer_has_member,
	   ` + mStruct + ` AS m, ` + iStruct + ` AS i
	 FROM ` + keys + ` AS k
	 LEFT JOIN ` + mRows + ` AS m ON m.row_id = k.mrow
	 LEFT JOIN ` + iRows + ` AS i ON i.row_id = k.irow`
}

// pairScan is where the rules of a pair relation are evaluated: the
// conditions see m and i narrowed to the fields they read, and findings are
// built from the hit pairs with the fields findings read. Joining both
// sides' whole rows for every pair would not fit a national extract in
// memory.
func pairScan(rel string, conds, all rules.Uses) rules.Scan {
	policy := rel == rules.PolicyPairs
	return rules.Scan{
		All:  pairSelect(policy, narrowStruct("m", conds), narrowStruct("i", conds), false),
		Hits: pairSelect(policy, narrowStruct("m", all), narrowStruct("i", all), true),
	}
}

// narrowStruct is the struct of alias's row with just the columns u reads
// (the whole row when u uses it whole). A side without the record stays
// NULL, as in the full relation.
func narrowStruct(alias string, u rules.Uses) string {
	if u.Whole[alias] {
		return alias
	}
	parts := []string{"'row_id': " + alias + ".row_id"}
	for _, c := range u.Cols[alias] {
		if c != "row_id" {
			parts = append(parts, "'"+c+"': "+alias+"."+c)
		}
	}
	return "CASE WHEN " + alias + ".row_id IS NOT NULL THEN {" + strings.Join(parts, ", ") + "} END"
}

// addFlagColumns gives the canonical tables the columns matching fills in,
// and creates the rows views over them.
func addFlagColumns(ctx context.Context, db execer) error {
	for _, side := range []string{"marketplace", "insurer"} {
		for _, c := range flagColumns {
			if _, err := db.ExecContext(ctx, "ALTER TABLE "+load.CanonTable(side)+" ADD COLUMN "+c); err != nil {
				return fmt.Errorf("prepare relations: %w", err)
			}
		}
	}
	return createRowsViews(ctx, db)
}

// buildRelations (re)computes the flags and keys behind the relations rules
// read. Run on empty canonical tables it gives the schema rules are
// compiled against.
func buildRelations(ctx context.Context, db execer) error {
	stmts := append(flagsSQL("marketplace"), flagsSQL("insurer")...)
	stmts = append(stmts, keysSQL...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("match records: %w", err)
		}
	}
	return nil
}
