package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/enrollaudit/enrollaudit/audit/rcni"
	"github.com/enrollaudit/enrollaudit/audit/x12"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
)

// parsedReader adapts a Go parser that emits canonical records (X12 834,
// RCNI) to a Reader: records are staged with canonical headers, so no
// mapping of columns is needed, and go through the same normaliser as every
// other format.
type parsedReader struct {
	parse func(r io.Reader, name string, h canonical.Handler) error
}

func init() {
	readers["x12"] = parsedReader{parse: x12.Read}
	readers["rcni"] = parsedReader{parse: rcni.Read}
}

// stageHandler receives a parser's records, rejects and warnings.
type stageHandler struct {
	ctx context.Context
	t   *Target
	rt  *rowTable
	n   int
}

func (h *stageHandler) Record(rec canonical.Record) error {
	h.n++
	if h.n%8192 == 0 {
		if err := h.ctx.Err(); err != nil {
			return err
		}
	}
	return h.rt.Append(int64(rec.Line), rec.Values[:])
}

func (h *stageHandler) Reject(rej canonical.Reject) error { return h.t.Reject(h.ctx, rej) }

func (h *stageHandler) Warn(msg string) { h.t.Warn(msg) }

func (p parsedReader) Load(ctx context.Context, t *Target, src Source) error {
	f, err := os.Open(src.Path)
	if err != nil {
		return &fileerr.Error{File: src.Path, Msg: "cannot read input: " + pathReason(err)}
	}
	defer f.Close()
	rt, err := newRowTable(ctx, t, canonical.Names())
	if err != nil {
		return err
	}
	h := &stageHandler{ctx: ctx, t: t, rt: rt}
	if err := p.parse(bufio.NewReaderSize(f, 1<<20), src.Path, h); err != nil {
		rt.Abort(ctx, t)
		return fmt.Errorf("read %s: %w", src.Path, err)
	}
	return rt.Finish(ctx, t, Relation{})
}
