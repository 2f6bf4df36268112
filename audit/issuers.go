package audit

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"slices"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/internal/sqltmpl"
	"github.com/enrollaudit/enrollaudit/reports"
)

//go:embed issuers.sql
var issuersSQLFile embed.FS

// issuersSQL are the packets' queries (issuers.sql).
var issuersSQL = sqltmpl.Must(issuersSQLFile, "issuers.sql")

// IssuerReport is the report of one issuer's packet (--split-by-issuer):
// that issuer's findings, the figures computed over them and over its
// policies and members, and each input with the rows of that issuer it
// held. Nothing in it is about another issuer. Call after Evaluate.
func (e *Engine) IssuerReport(ctx context.Context, issuer string) (*reports.Report, error) {
	r := e.rep.ForIssuer(issuer, e.Findings(issuer))
	r.Summary = reports.Summary{}
	r.FindingsFile = ""
	conn := e.d.conn
	lit := sqltext.Literal(issuer)
	findings := "findings"
	if len(e.rep.WaivedIDs()) > 0 {
		findings = "unwaived_findings" // made by applyDispositions
	}
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP VIEW issuer_findings AS SELECT * FROM "+findings+" WHERE issuer_hios_id = "+lit); err != nil {
		return nil, fmt.Errorf("issuer %s: %w", issuer, err)
	}
	if err := summariseFindings(ctx, conn, &r.Summary, "issuer_findings", "issuer_hios_id = "+lit); err != nil {
		return nil, fmt.Errorf("issuer %s: %w", issuer, err)
	}
	// Each input with the issuer's rows in it; rows without an issuer
	// (rejects, mostly) are no issuer's.
	counts := map[string][2]int64{}
	for _, side := range []string{"marketplace", "insurer"} {
		q := issuersSQL.Render("issuer_inputs", map[string]string{"Canon": load.CanonTable(side), "Files": load.FilesTable, "Issuer": lit})
		err := eachRow(ctx, conn, q, func(rows *sql.Rows) error {
			var path string
			var n [2]int64
			if err := rows.Scan(&path, &n[0], &n[1]); err != nil {
				return err
			}
			counts[side+"\x00"+path] = n
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("issuer %s: %w", issuer, err)
		}
	}
	r.Inputs = make([]reports.Input, len(e.rep.Inputs))
	for i, in := range e.rep.Inputs {
		n := counts[in.Side+"\x00"+in.Path]
		in.RowsLoaded, in.RowsRejected = n[0], n[1]
		if in.Side == "marketplace" {
			r.Summary.MarketplaceRows += n[0]
			r.Summary.MarketplaceRejected += n[1]
		} else {
			r.Summary.InsurerRows += n[0]
			r.Summary.InsurerRejected += n[1]
		}
		r.Inputs[i] = in
	}
	if err := issuerCounts(ctx, r, e.rep); err != nil {
		return nil, fmt.Errorf("issuer %s: %w", issuer, err)
	}
	return r, nil
}

// issuerCounts counts a packet's findings per lifecycle status and
// disposition, as the whole report counts the run's.
func issuerCounts(ctx context.Context, r, whole *reports.Report) error {
	var life map[string]int64
	if r.History != nil {
		life = map[string]int64{}
		for st := range whole.History.Counts {
			life[st] = 0
		}
		life["resolved"] = int64(len(r.History.Resolved))
		r.History.Counts, r.Summary.Lifecycle = life, life
	}
	var ds *reports.DispositionSummary
	if whole.Summary.Dispositions != nil {
		ds = &reports.DispositionSummary{ByStatus: map[string]int64{}, Waived: int64(len(r.Waived))}
		if ds.Waived > 0 {
			ds.ByStatus["waived"] = ds.Waived
		}
		r.Summary.Dispositions = ds
	}
	if life == nil && ds == nil {
		return nil
	}
	return r.Findings.Each(ctx, "", func(f *reports.Finding) error {
		if life != nil && f.Lifecycle != nil {
			life[f.Lifecycle.Status]++
		}
		if ds != nil && f.Disposition != nil {
			ds.ByStatus[f.Disposition.Status]++
			if f.CorrectionNotSeen {
				ds.CorrectionNotSeen++
			}
		}
		return nil
	})
}

// Issuers lists, in order, the issuers in scope that the audit's policies
// (either side) or findings name: one packet each, with findings or
// without. An issuer outside the scope gets none, whatever a row of it
// that reached a finding says.
func (e *Engine) Issuers(ctx context.Context) ([]string, error) {
	var out []string
	err := eachRow(ctx, e.d.conn, issuersSQL.Render("packet_issuers", nil), func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		if slices.Contains(e.scope, id) {
			out = append(out, id)
		}
		return err
	})
	return out, err
}
