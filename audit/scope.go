package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/reports"
)

// AllIssuers as the one --issuer value covers every issuer on either side.
const AllIssuers = "all"

// ErrNoIssuer: by default an audit covers the issuers of the insurer files,
// and they name none.
var ErrNoIssuer = errors.New("no insurer row carries an issuer (neither issuer_hios_id nor qhp_id is mapped or filled): " +
	"give --issuer HIOS (repeatable) for the issuers the roster covers, or --issuer all")

// issuerRows counts a side's loaded rows per issuer ("" for none).
func issuerRows(ctx context.Context, db dbexec.DB, side string) (map[string]int64, error) {
	out := map[string]int64{}
	err := eachRow(ctx, db, "SELECT coalesce(issuer_hios_id, ''), count(*) FROM "+load.CanonTable(side)+" WHERE reject_reasons IS NULL GROUP BY ALL",
		func(r *sql.Rows) error {
			var iss string
			var n int64
			if err := r.Scan(&iss, &n); err != nil {
				return err
			}
			out[iss] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("scope: %w", err)
	}
	return out, nil
}

// decideScope sets the audit's scope (README "Scope") from --issuer and the
// loaded rows, and returns the rows filter of each side: nil when every
// loaded row of the side is in scope, so the usual audit pays nothing.
func (e *Engine) decideScope(ctx context.Context) (relations.Scope, error) {
	m, err := issuerRows(ctx, e.d.conn, "marketplace")
	if err != nil {
		return relations.Scope{}, err
	}
	ins, err := issuerRows(ctx, e.d.conn, "insurer")
	if err != nil {
		return relations.Scope{}, err
	}
	var scope []string
	explicit := len(e.opts.Issuers) > 0
	switch {
	case slices.Contains(e.opts.Issuers, AllIssuers):
		for _, side := range []map[string]int64{m, ins} {
			for iss := range side {
				if iss != "" {
					scope = append(scope, iss)
				}
			}
		}
	case explicit:
		scope = append(scope, e.opts.Issuers...)
	case len(ins) == 0:
		// No insurer row at all (a header-only roster): nothing says which
		// issuers it covers, and the audit must not go quiet. It covers the
		// marketplace's issuers, whose enrollments are then all missing,
		// and the sanity warnings say why.
		for iss := range m {
			if iss != "" {
				scope = append(scope, iss)
			}
		}
	default:
		for iss := range ins {
			if iss != "" {
				scope = append(scope, iss)
			}
		}
		if len(scope) == 0 {
			var files []string
			for _, in := range e.rep.Inputs {
				if in.Side == "insurer" {
					files = append(files, in.Path)
				}
			}
			return relations.Scope{}, fmt.Errorf("%s: %w", strings.Join(files, ", "), ErrNoIssuer)
		}
	}
	slices.Sort(scope)
	scope = slices.Compact(scope)
	e.scope = scope

	sc := &reports.Scope{Issuers: scope, OutOfScope: reports.OutOfScope{Issuers: map[string]int64{}}}
	var filter relations.Scope
	all := slices.Contains(e.opts.Issuers, AllIssuers)
	for iss, n := range m {
		if all || slices.Contains(scope, iss) {
			continue
		}
		sc.OutOfScope.MarketplaceRows += n
		sc.OutOfScope.Issuers[iss] = n
		filter.Marketplace = scope
	}
	// Without --issuer the insurer files define the scope, so every row of
	// theirs is in it, even one without an issuer.
	for iss, n := range ins {
		if explicit && !all && !slices.Contains(scope, iss) {
			sc.OutOfScope.InsurerRows += n
			filter.Insurer = scope
		}
	}
	e.rep.Summary.Scope = sc
	for _, iss := range slices.Sorted(maps.Keys(sc.OutOfScope.Issuers)) {
		name := iss
		if name == "" {
			name = "(no issuer ID)"
		}
		e.rep.Warnings = append(e.rep.Warnings, fmt.Sprintf("issuer %s is out of scope (audited: %s): %d marketplace rows not audited",
			name, strings.Join(scope, ", "), sc.OutOfScope.Issuers[iss]))
	}
	if sc.OutOfScope.InsurerRows > 0 {
		e.rep.Warnings = append(e.rep.Warnings, fmt.Sprintf("%d insurer rows of issuers outside --issuer not audited", sc.OutOfScope.InsurerRows))
	}
	return filter, nil
}

// Scope returns the issuers (HIOS IDs) the audit covers, sorted; known
// after Match.
func (e *Engine) Scope() []string { return e.scope }
