package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/audit/synth"
)

func newGenerateCmd(e *env) *cobra.Command {
	opts := synth.DefaultOptions()
	var out string
	var noNoise, messy bool
	var formats []string
	cmd := &cobra.Command{
		Use:   "generate --policies N --seed S --out DIR",
		Short: "Write synthetic enrollment files with planted discrepancies and their ground truth",
		Long: `Writes a synthetic marketplace file (DIR/marketplace.csv, canonical columns), the matching
insurer roster in the insurer's own layout (DIR/insurer.csv, DIR/insurer-mapping.yaml) and
DIR/truth.json: every finding the default rules must report for the discrepancies planted
between the two files. The same seed writes the same bytes.

A share of the policies (--rate) gets one planted discrepancy each, taken in turn from every
finding category. Unless --no-noise is given the insurer roster also carries harmless
formatting noise (mixed-case names, "$1,234.50", sub-cent digits, dashed SSNs, zip codes
without their leading zero, hyphenated plan IDs) that must not produce findings.

--profile wide writes files shaped like real extracts instead: every optional field, extra
text columns, long accented names, IDs with leading zeros, the insurer's DD-Mon-YYYY dates
and $1,234.50 amounts, noise on about 8% of the insurer's rows. --messy also plants
unreadable values (a field-unreadable finding each), mistyped member IDs and policies keyed
under another policy ID (a wrong_identifiers finding each). --weeks 2 writes two weekly
extracts, DIR/week-1/ and DIR/week-2/ (each with its files and truth.json), where week 2 fixes
some of week 1's discrepancies, keeps some, changes the values of some and adds new ones;
DIR/truth-lifecycle.json gives every finding's status in week 2 (new, persisting, changed,
resolved). See docs/synthetic-data.md.`,
		Example: `  # a small data set, then audit it
  enrollaudit generate --policies 300 --seed 42 --out data/
  enrollaudit run --marketplace data/marketplace.csv --insurer data/insurer.csv \
      --insurer-mapping data/insurer-mapping.yaml --out out/

  # files shaped like real extracts, with unreadable values and mistyped IDs
  enrollaudit generate --policies 300 --profile wide --messy --out wide/

  # two weekly extracts and the lifecycle of every finding
  enrollaudit generate --policies 150 --weeks 2 --out weekly/

  # about ten million members, clean formatting, nothing planted
  enrollaudit generate --policies 4000000 --rate 0 --no-noise --out big/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Policies < 1 {
				return audit.Usagef("--policies must be at least 1")
			}
			if opts.Rate < 0 || opts.Rate > 1 {
				return audit.Usagef("--rate must be between 0 and 1")
			}
			if !slices.Contains(synth.Profiles, opts.Profile) {
				return audit.Usagef("--profile must be one of %s", strings.Join(synth.Profiles, ", "))
			}
			for _, f := range formats {
				if _, ok := synth.Renderings[f]; !ok {
					return audit.Usagef("--format %q: use 834 or rcni", f)
				}
			}
			if opts.Rate == 0 {
				opts.Rate = -1 // the library reads 0 as its default rate
			}
			opts.Noise = !noNoise
			opts.Unreadable, opts.MistypedIDs = messy, messy
			if opts.Weeks < 1 || opts.Weeks > 2 {
				return audit.Usagef("--weeks must be 1 or 2")
			}
			sum, err := synth.Generate(cmd.Context(), out, opts)
			if err != nil {
				return err
			}
			if opts.Weeks == 2 {
				fmt.Fprintf(e.stdout, "week 2 against week 1: %d new, %d persisting, %d changed, %d resolved (%s)\n",
					sum.Lifecycle[synth.StatusNew], sum.Lifecycle[synth.StatusPersisting], sum.Lifecycle[synth.StatusChanged],
					sum.Lifecycle[synth.StatusResolved], synth.LifecycleFile)
			}
			fmt.Fprintf(e.stdout, "%d policies, %d members (%d marketplace rows, %d insurer rows); %d findings planted on %d policies; written to %s\n",
				sum.Policies, sum.Members, sum.MarketplaceRows, sum.InsurerRows, len(sum.Planted), sum.PlantedPolicies, out)
			for _, f := range formats {
				path, err := synth.Render(out, f)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "marketplace file also written as %s\n", path)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Policies, "policies", opts.Policies, "number of marketplace policies (about 2.5 members each)")
	f.Int64Var(&opts.Seed, "seed", opts.Seed, "random seed; the same seed writes the same files")
	f.Float64Var(&opts.Rate, "rate", opts.Rate, "fraction of policies planted with a discrepancy (0 plants none)")
	f.BoolVar(&noNoise, "no-noise", false, "write the insurer roster without formatting noise")
	f.StringVar(&opts.Profile, "profile", synth.ProfileBasic, "shape of the files: "+strings.Join(synth.Profiles, " or "))
	f.IntVar(&opts.Weeks, "weeks", 1, "1, or 2 for a week pair: week-1/, week-2/ and "+synth.LifecycleFile)
	f.BoolVar(&messy, "messy", false, "also plant unreadable values, mistyped member IDs and policies under another ID")
	f.StringVar(&out, "out", "", "output directory (created if needed)")
	f.StringSliceVar(&formats, "format", nil, "also write the marketplace file as DIR/marketplace.834 (834) or DIR/marketplace.rcni (rcni)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
