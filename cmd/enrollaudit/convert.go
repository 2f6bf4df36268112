package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
)

func newConvertCmd(e *env) *cobra.Command {
	var opts audit.ConvertOptions
	cmd := &cobra.Command{
		Use:   "convert INPUT --to OUTPUT.csv|OUTPUT.parquet",
		Short: "Write any readable input as canonical rows (CSV or Parquet)",
		Long: `Reads INPUT like 'run' does (any supported format, with an optional mapping file) and
writes its canonical rows to OUTPUT, CSV or Parquet by OUTPUT's extension. SSNs are masked
to their last four digits unless --reveal-pii is given. Rows that cannot be read are listed
in OUTPUT.rejects.csv.`,
		Example: `  enrollaudit convert weekly.834 --to weekly.csv
  enrollaudit convert RCNI_33653.txt --format rcni --to rcni.parquet
  enrollaudit convert roster.xlsx --mapping roster.yaml --to roster.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Input = args[0]
			res, err := audit.Convert(cmd.Context(), opts)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				e.log.Warn().Msg(w)
			}
			fmt.Fprintf(e.stdout, "%d rows written to %s", res.Rows, opts.Output)
			if res.Rejected > 0 {
				fmt.Fprintf(e.stdout, "; %d rejected, listed in %s", res.Rejected, res.Rejects)
			}
			fmt.Fprintln(e.stdout)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Output, "to", "", "output file: .csv or .parquet")
	f.StringVar(&opts.Mapping, "mapping", "", "mapping file for INPUT")
	f.StringVar(&opts.Format, "format", "", "read INPUT as this format (csv, tsv, parquet, json, ndjson, xlsx, x12, rcni)")
	f.Int64Var(&opts.MaxRejects, "max-rejects", 0, "rows that may be rejected before the conversion fails")
	f.BoolVar(&opts.RevealPII, "reveal-pii", false, "keep full SSNs in the output (for authorised users only)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
