package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/rules"
)

func newRulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "List or check rules"}
	var paths, disable []string
	var noDefaults bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the active rules: id, category, severity, title",
		Example: `  enrollaudit rules list
  enrollaudit rules list --rules my-rules.yaml --disable-rule member-premium-mismatch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := rules.Load(rules.LoadOptions{Paths: paths, Disable: disable, NoDefaults: noDefaults})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCATEGORY\tSEVERITY\tGRAIN\tAPPLIES TO\tTITLE")
			for _, r := range set.Rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Severity, r.Grain, r.AppliesTo, r.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringArrayVar(&paths, "rules", nil, "extra rule file or directory (repeatable)")
	list.Flags().StringArrayVar(&disable, "disable-rule", nil, "turn off a rule by id (repeatable)")
	list.Flags().BoolVar(&noDefaults, "no-default-rules", false, "leave the default rules out")

	validate := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Check rule files: syntax, keys, and that every rule compiles against DuckDB",
		Example: `  enrollaudit rules validate my-rules.yaml
  enrollaudit rules validate rules.d/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := audit.CheckRules(cmd.Context(), rules.LoadOptions{Paths: args})
			if err != nil {
				return err
			}
			n := 0
			for _, r := range set.Rules {
				if !strings.HasPrefix(r.Source, "default/") {
					n++
				}
			}
			fmt.Fprintf(e.stdout, "%d rules in %s compile\n", n, strings.Join(args, ", "))
			return nil
		},
	}
	cmd.AddCommand(list, validate)
	return cmd
}
